// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// Many non-blocking echo clients in one poll() loop, on raw sockets so that
// a reset (ECONNRESET, EPIPE) is told apart from a clean end of stream.
// Every byte that comes back is checked against what that client sent.
// Used by the echo tests and by bench/echo-load.

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace echoclient {

// The byte a client sends at `offset`: cheap, and different per client.
inline unsigned char byteAt(int client, uint64_t offset)
{
    return static_cast<unsigned char>(offset * 131 + static_cast<uint64_t>(client) * 7 +
                                      (offset >> 9));
}

struct Client
{
    enum class Mode {
        RequestReply, // one message, wait for all of its echo, the next
        Stream,       // send and read at once, up to `limit`, then half-close
        Idle,         // one byte, its echo, then nothing
        NeverReads,   // sends until the kernel will take no more; never reads
        Flood,        // sends whenever the kernel takes more; never reads
    };

    int id = 0;
    int fd = -1;
    Mode mode = Mode::RequestReply;
    size_t messageSize = 64;
    uint64_t limit = UINT64_MAX;
    uint64_t window = 256 * 1024; // streaming: at most this much unechoed
    // Streaming in bursts: after each `burst` bytes, nothing for `pause`.
    uint64_t burst = 0;
    std::chrono::milliseconds pause{0};
    std::chrono::steady_clock::time_point nextBurst{};

    bool connected = false;
    bool refused = false;
    bool eof = false;
    bool reset = false;
    bool corrupt = false;
    bool halfClosed = false;
    bool stalled = false; // NeverReads: the kernel took no more
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t sentAtMark = 0;
    bool halfClosedAtMark = false;
    uint64_t roundTrips = 0;
    uint64_t messageEnd = 0;

    bool done() const { return refused || eof || reset || corrupt; }
};

class Driver
{
public:
    explicit Driver(uint16_t port) : m_port(port) {}
    ~Driver()
    {
        for (Client &client : clients) {
            if (client.fd >= 0)
                ::close(client.fd);
        }
    }

    Client &add(Client::Mode mode)
    {
        Client client;
        client.id = static_cast<int>(clients.size());
        client.mode = mode;
        client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in address = {};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(client.fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
            client.connected = true;
        else if (errno == ECONNREFUSED)
            client.refused = true;
        clients.push_back(client);
        return clients.back();
    }

    // Remembers what each client had sent, completely, at this moment.
    void mark()
    {
        for (Client &client : clients) {
            client.sentAtMark = client.sent;
            client.halfClosedAtMark = client.halfClosed;
        }
    }

    // Runs the clients until `until()` holds or `timeout` passes.
    template <typename Predicate> bool runUntil(Predicate until, std::chrono::milliseconds timeout)
    {
        const auto end = std::chrono::steady_clock::now() + timeout;
        std::vector<pollfd> fds;
        std::vector<Client *> owners;
        while (!until()) {
            if (std::chrono::steady_clock::now() >= end)
                return false;
            fds.clear();
            owners.clear();
            for (Client &client : clients) {
                if (client.fd < 0)
                    continue;
                short events = 0;
                if (!client.connected || wantsToSend(client))
                    events |= POLLOUT;
                if (client.connected && client.mode != Client::Mode::NeverReads &&
                    client.mode != Client::Mode::Flood)
                    events |= POLLIN;
                fds.push_back({client.fd, events, 0});
                owners.push_back(&client);
            }
            if (fds.empty())
                return until();
            if (::poll(fds.data(), fds.size(), 10) < 0 && errno != EINTR)
                return false;
            for (size_t i = 0; i < fds.size(); ++i) {
                if (fds[i].revents)
                    serve(*owners[i], fds[i].revents);
            }
        }
        return true;
    }

    template <typename Predicate> bool every(Predicate predicate) const
    {
        for (const Client &client : clients) {
            if (!predicate(client))
                return false;
        }
        return true;
    }

    bool allDone() const
    {
        return every([](const Client &client) { return client.done(); });
    }

    bool allEchoedOnce() const
    {
        return every([](const Client &client) { return client.roundTrips >= 1; });
    }

    std::vector<Client> clients;

private:
    bool wantsToSend(const Client &client) const
    {
        if (client.halfClosed || client.eof)
            return false;
        switch (client.mode) {
        case Client::Mode::RequestReply:
            return client.sent < client.messageEnd ||
                   (client.received == client.sent && client.sent < client.limit);
        case Client::Mode::Stream:
            if (client.burst > 0 && std::chrono::steady_clock::now() < client.nextBurst)
                return false;
            return client.sent < client.limit && client.sent - client.received < client.window;
        case Client::Mode::Idle:
            return client.sent == 0;
        case Client::Mode::NeverReads:
            return !client.stalled;
        case Client::Mode::Flood:
            return true;
        }
        return false;
    }

    void serve(Client &client, short revents)
    {
        if (!client.connected) {
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error == ECONNREFUSED) {
                client.refused = true;
                closeClient(client);
                return;
            }
            if (error != 0 || !(revents & POLLOUT))
                return;
            client.connected = true;
        }
        if (revents & (POLLIN | POLLHUP | POLLERR))
            receive(client);
        if (client.fd >= 0 && (revents & POLLOUT) && wantsToSend(client))
            send(client);
    }

    void receive(Client &client)
    {
        unsigned char buffer[65536];
        for (;;) {
            const ssize_t got = ::recv(client.fd, buffer, sizeof buffer, 0);
            if (got > 0) {
                for (ssize_t i = 0; i < got; ++i) {
                    if (buffer[i] != byteAt(client.id, client.received + static_cast<uint64_t>(i)))
                        client.corrupt = true;
                }
                client.received += static_cast<uint64_t>(got);
                if (client.received > client.sent)
                    client.corrupt = true; // more came back than went out
                if (client.mode != Client::Mode::Stream && client.messageEnd != 0 &&
                    client.received == client.messageEnd)
                    ++client.roundTrips;
                if (static_cast<size_t>(got) < sizeof buffer)
                    return;
                continue;
            }
            if (got == 0) {
                client.eof = true;
                closeClient(client);
            } else if (errno == ECONNRESET) {
                client.reset = true;
                closeClient(client);
            } else if (errno != EAGAIN && errno != EINTR) {
                client.reset = true;
                closeClient(client);
            }
            return;
        }
    }

    void send(Client &client)
    {
        unsigned char buffer[16384];
        for (;;) {
            uint64_t want;
            switch (client.mode) {
            case Client::Mode::RequestReply:
            case Client::Mode::Idle:
                if (client.sent == client.messageEnd) {
                    client.messageEnd =
                        client.sent + (client.mode == Client::Mode::Idle ? 1 : client.messageSize);
                }
                want = client.messageEnd - client.sent;
                break;
            case Client::Mode::Stream:
                want = std::min<uint64_t>(client.limit - client.sent,
                                          client.window - (client.sent - client.received));
                if (client.burst > 0) {
                    if (std::chrono::steady_clock::now() < client.nextBurst)
                        want = 0;
                    want = std::min<uint64_t>(want, client.burst - client.sent % client.burst);
                }
                break;
            case Client::Mode::NeverReads:
            case Client::Mode::Flood:
                want = sizeof buffer;
                break;
            }
            want = std::min<uint64_t>(want, sizeof buffer);
            if (want == 0)
                break;
            for (uint64_t i = 0; i < want; ++i)
                buffer[i] = byteAt(client.id, client.sent + i);
            const ssize_t put = ::send(client.fd, buffer, want, MSG_NOSIGNAL);
            if (put < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if (client.mode == Client::Mode::NeverReads ||
                        client.mode == Client::Mode::Flood)
                        client.stalled = true;
                } else if (errno != EINTR) {
                    client.reset = true; // EPIPE or ECONNRESET
                    closeClient(client);
                }
                return;
            }
            client.sent += static_cast<uint64_t>(put);
            if (client.burst > 0 && client.sent % client.burst == 0)
                client.nextBurst = std::chrono::steady_clock::now() + client.pause;
            if (client.mode != Client::Mode::Stream && client.mode != Client::Mode::NeverReads &&
                client.mode != Client::Mode::Flood)
                break; // one message at a time
        }
        if (client.mode == Client::Mode::Stream && client.sent == client.limit) {
            ::shutdown(client.fd, SHUT_WR);
            client.halfClosed = true;
        }
    }

    void closeClient(Client &client)
    {
        ::close(client.fd);
        client.fd = -1;
    }

    uint16_t m_port;
};

} // namespace echoclient
