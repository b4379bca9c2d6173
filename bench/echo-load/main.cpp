// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// An echo load client that checks every byte it gets back.
//
//   canstop-bench-echo-load --port P [--connections C] [--size M]
//                           [--mode request-reply|stream] [--seconds D]
//       loads a running echo server on 127.0.0.1:P and prints what it did.
//   canstop-bench-echo-load drain COUNT...
//       only the drain times, for each number of idle connections.
//   canstop-bench-echo-load idle [IDLE [ROUNDS]]
//       only 64 request/reply connections beside IDLE (10000) idle ones.
//   canstop-bench-echo-load interrupted
//       only the 50 streaming clients interrupted by SIGTERM.
//   canstop-bench-echo-load [rounds]
//       starts canstop-echo, bench/plain-echo (a bare QTcpServer) and
//       bench/epoll-echo (raw epoll, the floor) in turn and compares them: throughput, time from
//       SIGTERM to exit, and what interrupted clients lose. Prints figures; asserts nothing.
#include "common/echoclient.h"
#include "common/spawn.h"

#include <QCoreApplication>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using echoclient::Client;
using echoclient::Driver;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A server process; its log goes to a file, read for the port it took.
class Server
{
public:
    Server(const char *program, const std::vector<std::string> &extra = {})
    {
        m_log = "/tmp/canstop-bench-echo-" + std::to_string(::getpid()) + ".log";
        std::vector<std::string> args{program, "--port", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        m_pid = bench::spawn(std::move(args), m_log);
        for (int i = 0; i < 2000 && m_port == 0; ++i) {
            std::this_thread::sleep_for(5ms); // the benchmark may wait; tests may not
            std::ifstream log(m_log);
            std::string line;
            while (std::getline(log, line)) {
                const auto at = line.find("listening on 127.0.0.1:");
                if (at != std::string::npos)
                    m_port = static_cast<uint16_t>(std::stoi(line.substr(at + 23)));
            }
        }
    }
    ~Server()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        ::unlink(m_log.c_str());
    }
    uint16_t port() const { return m_port; }
    bool signal(int number) { return ::kill(m_pid, number) == 0; }
    // A line of /proc/<pid>/status in KiB: "VmRSS" now, "VmHWM" at its peak.
    long memoryKiB(const char *field) const
    {
        std::ifstream status("/proc/" + std::to_string(m_pid) + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind(field, 0) == 0)
                return std::stol(line.substr(line.find(':') + 1));
        }
        return -1;
    }
    // Waits for the exit; returns its status.
    int wait()
    {
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        return status;
    }

private:
    pid_t m_pid = -1;
    uint16_t m_port = 0;
    std::string m_log;
};

struct Throughput
{
    double roundTripsPerSecond = 0;
    double megabytesPerSecond = 0;
};

Throughput load(uint16_t port, Client::Mode mode, int connections, size_t messageSize,
                std::chrono::milliseconds duration, bool print = false)
{
    Driver clients(port);
    for (int i = 0; i < connections; ++i)
        clients.add(mode).messageSize = messageSize;
    clients.runUntil([] { return false; }, 300ms); // connect and warm up
    uint64_t trips = 0, bytes = 0;
    for (const Client &client : clients.clients) {
        trips -= client.roundTrips;
        bytes -= client.received;
    }
    const auto start = Clock::now();
    clients.runUntil([] { return false; }, duration);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    int resets = 0, corrupt = 0;
    for (const Client &client : clients.clients) {
        trips += client.roundTrips;
        bytes += client.received;
        resets += client.reset;
        corrupt += client.corrupt;
    }
    if (print) {
        if (mode == Client::Mode::Stream)
            std::printf("%d streaming connections", connections);
        else
            std::printf("%d connections, %zu-byte messages", connections, messageSize);
        std::printf(", %.1f s: %.0f round trips/s, %.1f MB/s echoed and verified; %d reset, %d "
                    "corrupt\n",
                    seconds, trips / seconds, bytes / seconds / 1e6, resets, corrupt);
    }
    return {trips / seconds, bytes / seconds / 1e6};
}

Throughput load(const char *program, int connections, size_t messageSize,
                std::chrono::milliseconds duration, const std::vector<std::string> &extra = {})
{
    Server server(program, extra);
    return load(server.port(), Client::Mode::RequestReply, connections, messageSize, duration);
}

// Small messages served in worker threads, beside the same in one thread, a
// bare QTcpServer and, when CANSTOP_BENCH_GO_ECHO names its binary (built
// apart: it is not part of this project), the Go original's echo.
void threaded(const char *canstop, const char *plain, int rounds)
{
    struct Row
    {
        const char *label;
        const char *program;
        std::vector<std::string> extra;
        double roundTripsPerSecond = 0;
    };
    std::vector<Row> rows{{"bare QTcpServer", plain, {}},
                          {"canstop", canstop, {}},
                          {"canstop --threads 2", canstop, {"--threads", "2"}}};
    if (const char *go = std::getenv("CANSTOP_BENCH_GO_ECHO"))
        rows.push_back({"Go original", go, {}});
    for (int round = 0; round < rounds; ++round) {
        for (Row &row : rows)
            row.roundTripsPerSecond +=
                load(row.program, 64, 64, 2s, row.extra).roundTripsPerSecond / rounds;
    }
    for (const Row &row : rows)
        std::printf("  %-22s %9.0f rt/s  %5.3f x bare\n", row.label, row.roundTripsPerSecond,
                    row.roundTripsPerSecond / rows.front().roundTripsPerSecond);
    if (rows.size() < 4)
        std::printf("  (the Go original: set CANSTOP_BENCH_GO_ECHO to its echo's binary)\n");
}

void throughput(const char *canstop, const char *plain, int connections, size_t messageSize,
                int rounds)
{
    Throughput withCanstop, withPlain;
    for (int round = 0; round < rounds; ++round) {
        const Throughput p = load(plain, connections, messageSize, 2s);
        const Throughput c = load(canstop, connections, messageSize, 2s);
        withPlain.roundTripsPerSecond += p.roundTripsPerSecond / rounds;
        withPlain.megabytesPerSecond += p.megabytesPerSecond / rounds;
        withCanstop.roundTripsPerSecond += c.roundTripsPerSecond / rounds;
        withCanstop.megabytesPerSecond += c.megabytesPerSecond / rounds;
    }
    std::printf("  C=%-3d M=%-6zu canstop %9.0f rt/s %8.1f MB/s | plain %9.0f rt/s %8.1f MB/s | "
                "ratio %.3f\n",
                connections, messageSize, withCanstop.roundTripsPerSecond,
                withCanstop.megabytesPerSecond, withPlain.roundTripsPerSecond,
                withPlain.megabytesPerSecond,
                withCanstop.roundTripsPerSecond / withPlain.roundTripsPerSecond);
}

struct Drain
{
    double allEof = 0; // ms from the signal to EOF at every client
    double exited = 0; // ms from the signal to the exit
    int exitCode = -1;
    double bytesPerConnection = 0; // resident memory the connections added
};

// `count` idle connections, in batches inside the listen backlog, each
// confirmed by its echo, then quiet for longer than canstop-echo's idle
// grace (250 ms). Nothing polls them once this returns.
void holdIdle(Driver &clients, int count)
{
    for (int added = 0; added < count;) {
        for (int i = 0; i < 40 && added < count; ++i, ++added)
            clients.add(Client::Mode::Idle);
        clients.runUntil(
            [&] {
                return clients.every(
                    [](const Client &client) { return client.roundTrips >= 1 || client.done(); });
            },
            30s);
    }
    clients.runUntil([] { return false; }, 300ms);
}

// `idle` connections, each confirmed by an echo, then `signal`; a second
// SIGTERM follows `secondAfter` later if that is not negative.
Drain shutdownTime(const char *program, int idle, int signal,
                   std::chrono::milliseconds secondAfter = -1ms,
                   const std::vector<std::string> &extra = {})
{
    Server server(program, extra);
    const long startKiB = server.memoryKiB("VmRSS");
    Driver clients(server.port());
    holdIdle(clients, idle);
    Drain drain;
    drain.bytesPerConnection = (server.memoryKiB("VmRSS") - startKiB) * 1024.0 / idle;
    const auto start = Clock::now();
    server.signal(signal);
    bool secondSent = secondAfter < 0ms;
    clients.runUntil(
        [&] {
            if (!secondSent && Clock::now() - start >= secondAfter)
                secondSent = server.signal(SIGTERM);
            return clients.allDone();
        },
        60s);
    drain.allEof = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const int status = server.wait();
    drain.exited = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    drain.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return drain;
}

// SIGTERM to exit against a minimal graceful drain on raw epoll (the floor)
// and the time the kernel takes to close the same connections of a killed
// process.
void drainTimes(const char *canstop, const char *plain, const char *floor,
                const std::vector<int> &counts)
{
    std::printf("idle connections: SIGTERM to exit (EOF at every client); resident memory per "
                "connection\n  %6s %22s %22s %22s %22s %18s %20s %8s %18s\n",
                "conns", "canstop", "canstop --qt-dispatcher", "canstop --threads 2",
                "minimal epoll drain", "plain, killed", "2nd SIGTERM at 200ms", "/ floor",
                "canstop / plain");
    for (const int count : counts) {
        const Drain graceful = shutdownTime(canstop, count, SIGTERM);
        const Drain qt = shutdownTime(canstop, count, SIGTERM, -1ms, {"--qt-dispatcher"});
        const Drain threaded = shutdownTime(canstop, count, SIGTERM, -1ms, {"--threads", "2"});
        const Drain minimal = shutdownTime(floor, count, SIGTERM);
        const Drain killed = shutdownTime(plain, count, SIGKILL);
        const Drain second = shutdownTime(canstop, count, SIGTERM, 200ms);
        std::printf("  %6d %9.0f ms (%5.0f) %9.0f ms (%5.0f) %9.0f ms (%5.0f) %9.0f ms (%5.0f) "
                    "%9.0f ms %s %9.0f ms exit %d %7.2fx %6.0f B / %4.0f B\n",
                    count, graceful.exited, graceful.allEof, qt.exited, qt.allEof, threaded.exited,
                    threaded.allEof, minimal.exited, minimal.allEof, killed.allEof,
                    graceful.exitCode || qt.exitCode || threaded.exitCode || minimal.exitCode
                        ? "(exit != 0)"
                        : "    ",
                    second.exited, second.exitCode, graceful.allEof / minimal.allEof,
                    graceful.bytesPerConnection, killed.bytesPerConnection);
        std::fflush(stdout);
    }
}

// 64 connections, 64-byte request/reply, beside `idle` quiet connections
// that this process holds and no client loop polls: what a server pays per
// turn for the connections it holds.
double besideIdle(const char *program, const std::vector<std::string> &extra, int idle)
{
    Server server(program, extra);
    Driver quiet(server.port());
    holdIdle(quiet, idle);
    return load(server.port(), Client::Mode::RequestReply, 64, 64, 3s).roundTripsPerSecond;
}

void idleBesideActive(const char *canstop, const char *plain, const char *floor, int idle,
                      int rounds)
{
    struct Row
    {
        const char *label;
        const char *program;
        std::vector<std::string> extra;
        double alone = 0;
        double beside = 0;
    };
    std::vector<Row> rows{{"minimal epoll echo", floor, {}},
                          {"bare QTcpServer", plain, {}},
                          {"canstop", canstop, {}},
                          {"canstop --qt-dispatcher", canstop, {"--qt-dispatcher"}},
                          {"canstop --threads 2", canstop, {"--threads", "2"}},
                          {"  --qt-dispatcher", canstop, {"--threads", "2", "--qt-dispatcher"}}};
    const char *go = std::getenv("CANSTOP_BENCH_GO_ECHO");
    if (go)
        rows.push_back({"Go original", go, {}});
    for (int round = 0; round < rounds; ++round) {
        for (Row &row : rows) {
            row.alone += besideIdle(row.program, row.extra, 0) / rounds;
            row.beside += besideIdle(row.program, row.extra, idle) / rounds;
        }
    }
    std::printf("  %-24s %12s %12s %7s %10s %8s\n", "", "no idle", "idle", "kept", "x bare",
                go ? "x Go" : "");
    for (const Row &row : rows) {
        std::printf("  %-24s %7.0f rt/s %7.0f rt/s %6.0f%% %9.2fx", row.label, row.alone,
                    row.beside, 100 * row.beside / row.alone, row.alone / rows[1].alone);
        if (go)
            std::printf(" %7.2fx", row.beside / rows.back().beside);
        std::printf("\n");
    }
    if (!go)
        std::printf("  (the Go original: set CANSTOP_BENCH_GO_ECHO to its echo's binary)\n");
    std::fflush(stdout);
}

void interrupted(const char *name, const char *program)
{
    Server server(program);
    Driver clients(server.port());
    for (int i = 0; i < 50; ++i)
        clients.add(Client::Mode::Stream).window =
            16 * 1024 * 1024; // as fast as the kernel takes it
    clients.runUntil([] { return false; }, 500ms);
    clients.mark();
    long peakKiB = server.memoryKiB("VmHWM"); // and through the drain, until the server exits
    server.signal(SIGTERM);
    clients.runUntil(
        [&] {
            peakKiB = std::max(peakKiB, server.memoryKiB("VmHWM"));
            return clients.allDone();
        },
        30s);
    server.wait();
    uint64_t before = 0, lost = 0, refused = 0;
    int resets = 0;
    for (const Client &client : clients.clients) {
        before += client.sentAtMark;
        if (client.received < client.sentAtMark)
            lost += client.sentAtMark - client.received;
        else
            refused += client.sent - client.received;
        resets += client.reset;
    }
    std::printf("  %-8s %6.1f MB sent before SIGTERM: %llu bytes lost, %d of 50 connections "
                "reset; server's peak resident memory %.0f MB\n",
                name, before / 1e6, static_cast<unsigned long long>(lost), resets,
                peakKiB / 1024.0);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    const QStringList args = app.arguments();
    auto option = [&args](const char *name, const QString &fallback) {
        const qsizetype at = args.indexOf(QLatin1String(name));
        return at > 0 && at + 1 < args.size() ? args.at(at + 1) : fallback;
    };
    if (args.contains(QStringLiteral("--port"))) {
        const bool stream =
            option("--mode", QStringLiteral("request-reply")) == QLatin1String("stream");
        load(static_cast<uint16_t>(option("--port", QString()).toUInt()),
             stream ? Client::Mode::Stream : Client::Mode::RequestReply,
             option("--connections", QStringLiteral("64")).toInt(),
             option("--size", QStringLiteral("64")).toULongLong(),
             std::chrono::milliseconds(option("--seconds", QStringLiteral("5")).toInt() * 1000),
             true);
        return 0;
    }
    if (args.value(1) == QLatin1String("drain")) {
        std::vector<int> counts;
        for (int i = 2; i < argc; ++i)
            counts.push_back(std::atoi(argv[i]));
        drainTimes(CANSTOP_ECHO, PLAIN_ECHO, EPOLL_ECHO, counts);
        return 0;
    }
    if (args.value(1) == QLatin1String("threads")) {
        threaded(CANSTOP_ECHO, PLAIN_ECHO, argc > 2 ? std::atoi(argv[2]) : 3);
        return 0;
    }
    if (args.value(1) == QLatin1String("idle")) {
        const int idle = argc > 2 ? std::atoi(argv[2]) : 10000;
        std::printf("request/reply, 64 connections, 64-byte messages, beside %d idle ones\n", idle);
        idleBesideActive(CANSTOP_ECHO, PLAIN_ECHO, EPOLL_ECHO, idle,
                         argc > 3 ? std::atoi(argv[3]) : 2);
        return 0;
    }
    if (args.value(1) == QLatin1String("interrupted")) {
        interrupted("canstop", CANSTOP_ECHO);
        interrupted("plain", PLAIN_ECHO);
        return 0;
    }
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 3;

    std::printf("echo throughput, request/reply, %d alternated rounds of 2 s each\n", rounds);
    throughput(CANSTOP_ECHO, PLAIN_ECHO, 64, 64, rounds);
    throughput(CANSTOP_ECHO, PLAIN_ECHO, 8, 65536, rounds);
    // With 64 KiB messages glibc's malloc may return the buffers' pages to
    // the kernel and fault them in again, about 15 page faults a message,
    // in one process and not in another: an effect of the allocator, not of
    // the server. Controlled: both servers with malloc backed by huge pages.
    std::printf("the same with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for both servers\n");
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
    throughput(CANSTOP_ECHO, PLAIN_ECHO, 64, 64, rounds);
    throughput(CANSTOP_ECHO, PLAIN_ECHO, 8, 65536, rounds);
    ::unsetenv("GLIBC_TUNABLES");
    std::printf("request/reply, 64 connections, 64-byte messages, %d alternated rounds: worker "
                "threads\n",
                rounds);
    threaded(CANSTOP_ECHO, PLAIN_ECHO, rounds);
    std::printf("request/reply, 64 connections, 64-byte messages, beside 10000 idle ones\n");
    idleBesideActive(CANSTOP_ECHO, PLAIN_ECHO, EPOLL_ECHO, 10000, 2);
    drainTimes(CANSTOP_ECHO, PLAIN_ECHO, EPOLL_ECHO, {1000, 10000});
    std::printf("50 streaming clients interrupted by SIGTERM\n");
    interrupted("canstop", CANSTOP_ECHO);
    interrupted("plain", PLAIN_ECHO);
    return 0;
}
