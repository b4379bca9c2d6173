// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The floor: an echo server on raw epoll, no Qt, no canstop, one thread.
// On SIGTERM or SIGINT it stops listening, sends FIN on every connection
// and closes each when the peer's FIN arrives, then exits 0. Input that
// arrives during the drain is read and dropped. What the benchmark compares
// canstop-echo's throughput and drain against.
//   canstop-bench-epoll-echo --port P     (0: any; the port goes to stderr)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

constexpr int Backlog = 4096;      // the bench connects in batches of 40
constexpr size_t ReadSize = 65536; // one read: the largest message the bench sends

struct Connection
{
    std::string unsent; // what the peer has not taken yet
};

int listenOn(unsigned short port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        ::listen(fd, Backlog) != 0)
        return -1;
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
    std::fprintf(stderr, "listening on 127.0.0.1:%u\n", ntohs(address.sin_port));
    return fd;
}

} // namespace

int main(int argc, char **argv)
{
    unsigned short port = 0;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--port") == 0)
            port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    }
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    ::sigprocmask(SIG_BLOCK, &stopSignals, nullptr);
    const int signals = ::signalfd(-1, &stopSignals, SFD_NONBLOCK | SFD_CLOEXEC);
    int listener = listenOn(port);
    if (listener < 0 || signals < 0)
        return 2;

    const int epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    const auto watch = [epollFd](int fd, uint32_t events, int operation) {
        epoll_event event{};
        event.events = events;
        event.data.fd = fd;
        ::epoll_ctl(epollFd, operation, fd, &event);
    };
    watch(listener, EPOLLIN, EPOLL_CTL_ADD);
    watch(signals, EPOLLIN, EPOLL_CTL_ADD);

    std::unordered_map<int, Connection> connections;
    bool draining = false;
    const auto close = [&](int fd) {
        ::close(fd); // leaves epoll with it
        connections.erase(fd);
    };
    static char buffer[ReadSize];
    epoll_event ready[256];
    while (!draining || !connections.empty()) {
        const int count = ::epoll_wait(epollFd, ready, 256, -1);
        for (int i = 0; i < count; ++i) {
            const int fd = ready[i].data.fd;
            if (fd == signals) {
                draining = true;
                ::close(listener); // the kernel refuses new connections from here
                listener = -1;
                for (auto &[client, connection] : connections) {
                    connection.unsent.clear();
                    ::shutdown(client, SHUT_WR); // FIN; closed when the peer's arrives
                    watch(client, EPOLLIN, EPOLL_CTL_MOD);
                }
            } else if (fd == listener) {
                while (true) {
                    const int client =
                        ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (client < 0)
                        break;
                    connections[client];
                    watch(client, EPOLLIN, EPOLL_CTL_ADD);
                }
            } else if (const auto it = connections.find(fd); it != connections.end()) {
                Connection &connection = it->second;
                if (ready[i].events & EPOLLOUT) {
                    const ssize_t sent =
                        ::send(fd, connection.unsent.data(), connection.unsent.size(), 0);
                    if (sent > 0)
                        connection.unsent.erase(0, size_t(sent));
                    if (connection.unsent.empty())
                        watch(fd, EPOLLIN, EPOLL_CTL_MOD);
                    continue;
                }
                const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
                if (got == 0 || (got < 0 && errno != EAGAIN)) {
                    close(fd);
                    continue;
                }
                if (got < 0 || draining)
                    continue;
                const ssize_t sent = ::send(fd, buffer, size_t(got), MSG_NOSIGNAL);
                const size_t done = sent > 0 ? size_t(sent) : 0;
                if (done < size_t(got)) { // the peer is slow: the rest waits for EPOLLOUT
                    connection.unsent.assign(buffer + done, size_t(got) - done);
                    watch(fd, EPOLLOUT, EPOLL_CTL_MOD);
                }
            }
        }
    }
    return 0;
}
