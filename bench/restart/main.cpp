// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The restart proof as figures: 20 restarts of an echo server under a load
// of one request per connection, and what the clients saw.
//
//   canstop-bench-restart [restarts] [threads]
//
// Each thread count is of short clients (a connection per request) and as
// many long-lived ones (a request every 400 ms on one connection).
//
// canstop-echo runs on a listening socket this process holds, as systemd
// holds a .socket unit's (socket activation); bench/plain-echo, a bare
// QTcpServer, listens afresh on the same port in each instance. Prints
// figures; asserts nothing.
#include "common/loopback.h"
#include "common/requestload.h"
#include "common/spawn.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Starts `argv` with its log in a file and `listener`, if any, at fd 3 with
// LISTEN_PID set by the shell that execs it; waits until it listens.
pid_t start(std::vector<std::string> argv, int listener)
{
    const std::string log = "/tmp/canstop-bench-restart-" + std::to_string(::getpid()) + ".log";
    if (listener >= 0) {
        argv.insert(argv.begin(), {"/bin/sh", "-c",
                                   "LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=echo exec \"$0\" "
                                   "\"$@\""});
    }
    const pid_t pid = bench::spawn(std::move(argv), log, listener);
    for (int i = 0; i < 2000; ++i) {
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line)) {
            if (line.find("listening on") != std::string::npos)
                return pid;
        }
        std::this_thread::sleep_for(2ms); // a benchmark may wait; tests may not
    }
    return pid;
}

struct Figures
{
    double seconds;
    double perSecond;
    int echoed, refused, reset, lost;
};

Figures run(bool canstop, quint16 port, int listener, int restarts, int threads)
{
    const std::vector<std::string> canstopArgs{CANSTOP_ECHO, "--port", "0"};
    const std::vector<std::string> plainArgs{PLAIN_ECHO, "--port", std::to_string(port)};
    pid_t server = canstop ? start(canstopArgs, listener) : start(plainArgs, -1);
    RequestLoad load(port, threads, threads);
    const auto began = Clock::now();
    for (int i = 0; i < restarts; ++i) {
        std::this_thread::sleep_for(100ms); // serve a while, then restart at once
        bench::stop(server);
        server = canstop ? start(canstopArgs, listener) : start(plainArgs, -1);
    }
    std::this_thread::sleep_for(100ms);
    load.stop();
    const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
    bench::stop(server);
    return {seconds, load.echoed / seconds, load.echoed, load.refused, load.reset, load.lost};
}

} // namespace

int main(int argc, char **argv)
{
    const int restarts = argc > 1 ? std::atoi(argv[1]) : 20;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 4;

    // canstop-echo's socket, held here as systemd holds a .socket unit's;
    // the plain server's port, taken afresh by every instance.
    const LoopbackListener listener;
    const quint16 plainPort = freeLoopbackPort();

    std::printf("%d restarts under %d short and %d long-lived clients\n", restarts, threads,
                threads);
    std::printf("%-44s %8s %10s %8s %8s %8s %8s\n", "server", "seconds", "requests/s", "echoed",
                "refused", "reset", "lost");
    const Figures canstop = run(true, listener.port, listener.fd, restarts, threads);
    std::printf("%-44s %8.1f %10.0f %8d %8d %8d %8d\n", "canstop-echo, socket held across restarts",
                canstop.seconds, canstop.perSecond, canstop.echoed, canstop.refused, canstop.reset,
                canstop.lost);
    const Figures plain = run(false, plainPort, -1, restarts, threads);
    std::printf("%-44s %8.1f %10.0f %8d %8d %8d %8d\n", "plain QTcpServer, listen() per instance",
                plain.seconds, plain.perSecond, plain.echoed, plain.refused, plain.reset,
                plain.lost);
    return 0;
}
