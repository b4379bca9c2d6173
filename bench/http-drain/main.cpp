// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// HTTP keep-alive under load, SIGTERM mid-run: what happened to every
// request, for canstop-http beside a bare QHttpServer on a plain QTcpServer.
// The benchmark holds the listening socket (as systemd would), so that a
// connection made after the server has gone waits for a next instance
// instead of being refused. Its own clients tell an EOF before a response
// from a reset; then the same under wrk, which counts both as read errors.
//   canstop-bench-http-drain [connections] [rounds]
//   canstop-bench-http-drain idle [IDLE]
//       only wrk's requests per second (-t2 -c64, 3 s, no SIGTERM) with and
//       without IDLE (10000) idle keep-alive connections held beside.
#include "common/loopback.h"
#include "common/spawn.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

struct Outcome
{
    long completed = 0; // responses received whole
    long saidClose = 0; // of those, with Connection: close
    long failed = 0;    // EOF before the response was whole
    long reset = 0;     // ECONNRESET or EPIPE
    long waiting = 0;   // sent, unanswered at the end: in the held queue
};

struct Client
{
    int fd = -1;
    QByteArray in;
};

const QByteArray Request = "GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

bool open(Client &client, quint16 port)
{
    client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopbackAddress(port);
    client.in.clear();
    return ::connect(client.fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) ==
               0 &&
           ::send(client.fd, Request.constData(), Request.size(), MSG_NOSIGNAL) == Request.size();
}

void close(Client &client)
{
    ::close(client.fd);
    client.fd = -1;
}

// Reads what arrived; false once the connection is over.
bool read(Client &client, Outcome &outcome)
{
    char buffer[4096];
    const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
        ++outcome.reset;
    if (n == 0)
        ++outcome.failed;
    if (n <= 0)
        return false;
    client.in.append(buffer, n);
    const qsizetype headEnd = client.in.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return true;
    const QByteArray head = client.in.left(headEnd).toLower();
    const qsizetype at = head.indexOf("content-length:");
    const qsizetype length =
        at < 0 ? 0 : head.mid(at + 15, head.indexOf('\r', at) - at - 15).trimmed().toLongLong();
    if (client.in.size() < headEnd + 4 + length)
        return true;
    ++outcome.completed;
    if (head.contains("connection: close")) {
        ++outcome.saidClose;
        return false;
    }
    client.in.clear();
    if (::send(client.fd, Request.constData(), Request.size(), MSG_NOSIGNAL) != Request.size()) {
        ++outcome.reset;
        return false;
    }
    return true;
}

// The server on `listener`: canstop-http socket-activated, the bare one
// takes descriptor 3 as it is.
pid_t startServer(const char *program, bool activated, const LoopbackListener &listener,
                  const std::vector<std::string> &extra = {})
{
    std::vector<std::string> argv{program};
    if (activated)
        argv = {"/bin/sh",
                "-c",
                "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"",
                program,
                "--shutdown-timeout",
                "10000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return bench::spawn(argv, "/tmp/canstop-bench-http.log", listener.fd);
}

Outcome run(const char *program, bool activated, int connections, std::chrono::milliseconds length)
{
    const LoopbackListener listener;
    const pid_t pid = startServer(program, activated, listener);
    std::vector<Client> clients(connections);
    for (Client &client : clients)
        open(client, listener.port);

    Outcome outcome;
    QElapsedTimer clock;
    clock.start();
    bool terminated = false;
    std::vector<pollfd> polled(clients.size());
    while (clock.elapsed() < length.count()) {
        if (!terminated && clock.elapsed() >= length.count() / 3) {
            ::kill(pid, SIGTERM);
            terminated = true;
        }
        for (size_t i = 0; i < clients.size(); ++i) {
            if (clients[i].fd < 0 && !open(clients[i], listener.port))
                ++outcome.reset;
            polled[i] = {clients[i].fd, POLLIN, 0};
        }
        ::poll(polled.data(), polled.size(), 10);
        for (size_t i = 0; i < clients.size(); ++i) {
            if (polled[i].revents && !read(clients[i], outcome))
                close(clients[i]);
        }
    }
    for (Client &client : clients) {
        if (client.fd >= 0) {
            ++outcome.waiting;
            close(client);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return outcome;
}

// wrk's own count, SIGTERM after a third of the run: requests completed
// and its socket errors (with the listener held, a connect is never
// refused; a read error is an EOF or a reset while awaiting a response, a
// write error a reset or a broken pipe).
QString underWrk(const char *program, bool activated, int connections, int seconds)
{
    const LoopbackListener listener;
    const pid_t pid = startServer(program, activated, listener);
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the server starts
    QProcess wrk;
    wrk.start(QStringLiteral("wrk"),
              {QStringLiteral("-t2"), QStringLiteral("-c%1").arg(connections),
               QStringLiteral("-d%1s").arg(seconds), QStringLiteral("--timeout"),
               QStringLiteral("60s"),
               QStringLiteral("http://127.0.0.1:%1/fast").arg(listener.port)});
    std::this_thread::sleep_for(std::chrono::milliseconds(seconds * 1000 / 3));
    ::kill(pid, SIGTERM);
    wrk.waitForFinished(seconds * 1000 + 30000);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const QString out = QString::fromLocal8Bit(wrk.readAllStandardOutput());
    const QString requests =
        QRegularExpression(QStringLiteral("(\\d+) requests in")).match(out).captured(1);
    const QRegularExpressionMatch errors =
        QRegularExpression(
            QStringLiteral("connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)"))
            .match(out);
    const auto error = [&errors](int n) {
        return errors.hasMatch() ? errors.captured(n) : QStringLiteral("0");
    };
    return QStringLiteral("%1 | %2 | %3 | %4 | %5")
        .arg(requests.isEmpty() ? QStringLiteral("?") : requests, error(1), error(2), error(3),
             error(4));
}

// One request and its whole response on each of `count` connections, which
// then stay open and quiet; their descriptors.
std::vector<int> holdIdle(quint16 port, int count)
{
    std::vector<int> held;
    for (int i = 0; i < count; ++i) {
        Client client;
        Outcome outcome;
        if (!open(client, port))
            break;
        while (outcome.completed == 0 && read(client, outcome)) {
        }
        if (outcome.completed == 0) {
            close(client);
            break;
        }
        held.push_back(client.fd); // read() sent the next request: it is answered, never read
    }
    return held;
}

// wrk's requests per second beside `idle` idle keep-alive connections.
double besideIdle(const char *program, bool activated, const std::vector<std::string> &extra,
                  int idle)
{
    const LoopbackListener listener;
    const pid_t pid = startServer(program, activated, listener, extra);
    const std::vector<int> held = holdIdle(listener.port, idle);
    if (int(held.size()) < idle)
        std::printf("  (only %zu of %d idle connections held)\n", held.size(), idle);
    QProcess wrk;
    wrk.start(QStringLiteral("wrk"),
              {QStringLiteral("-t2"), QStringLiteral("-c64"), QStringLiteral("-d3s"),
               QStringLiteral("http://127.0.0.1:%1/fast").arg(listener.port)});
    wrk.waitForFinished(60000);
    const QString out = QString::fromLocal8Bit(wrk.readAllStandardOutput());
    for (const int fd : held)
        ::close(fd);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return QRegularExpression(QStringLiteral("Requests/sec:\\s+([\\d.]+)"))
        .match(out)
        .captured(1)
        .toDouble();
}

int idleBesideActive(int idle)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max; // the server inherits it
    setrlimit(RLIMIT_NOFILE, &limit);
    std::printf("HTTP keep-alive under wrk (-t2 -c64, 3 s, GET /fast) beside %d idle keep-alive "
                "connections\n\n| server | no idle | %d idle | kept |\n| --- | --- | --- | --- "
                "|\n",
                idle, idle);
    struct Row
    {
        const char *label;
        const char *program;
        bool activated;
        std::vector<std::string> extra;
    };
    for (const Row &row :
         {Row{"bare QHttpServer", PLAIN_HTTP, false, {}},
          Row{"canstop-http", CANSTOP_HTTP, true, {}},
          Row{"canstop-http --qt-dispatcher", CANSTOP_HTTP, true, {"--qt-dispatcher"}}}) {
        const double alone = besideIdle(row.program, row.activated, row.extra, 0);
        const double beside = besideIdle(row.program, row.activated, row.extra, idle);
        std::printf("| %s | %.0f req/s | %.0f req/s | %.0f %% |\n", row.label, alone, beside,
                    100 * beside / alone);
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1 && std::strcmp(argv[1], "idle") == 0)
        return idleBesideActive(argc > 2 ? std::atoi(argv[2]) : 10000);
    const int connections = argc > 1 ? std::atoi(argv[1]) : 50;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    std::printf("HTTP keep-alive, %d connections, 3 s per run, SIGTERM at 1 s; the listener "
                "outlives the server\n\n",
                connections);
    std::printf("| server | run | completed | said close | failed | reset | waiting |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (int round = 1; round <= rounds; ++round) {
        for (const auto &[name, program, activated] :
             {std::tuple{"canstop-http", CANSTOP_HTTP, true},
              std::tuple{"bare QHttpServer", PLAIN_HTTP, false}}) {
            const Outcome o = run(program, activated, connections, std::chrono::seconds(3));
            std::printf("| %s | %d | %ld | %ld | %ld | %ld | %ld |\n", name, round, o.completed,
                        o.saidClose, o.failed, o.reset, o.waiting);
            std::fflush(stdout);
        }
    }
    std::printf("\nfailed: the connection ended before the response was whole; reset: "
                "ECONNRESET or EPIPE; waiting: a request sent after the server had gone, "
                "queued for its next instance.\n");

    if (QStandardPaths::findExecutable(QStringLiteral("wrk")).isEmpty()) {
        std::printf("\nunder wrk: skipped, wrk is not installed (apt-get install wrk)\n");
        return 0;
    }
    std::printf("\nThe same under wrk (-t2 -c%d, 3 s, SIGTERM at 1 s; wrk's own count):\n\n",
                connections);
    std::printf("| server | run | requests | connect errors | read errors | write errors | "
                "timeouts |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (int round = 1; round <= rounds; ++round) {
        for (const auto &[name, program, activated] :
             {std::tuple{"canstop-http", CANSTOP_HTTP, true},
              std::tuple{"bare QHttpServer", PLAIN_HTTP, false}}) {
            std::printf("| %s | %d | %s |\n", name, round,
                        qPrintable(underWrk(program, activated, connections, 3)));
            std::fflush(stdout);
        }
    }
    return 0;
}
