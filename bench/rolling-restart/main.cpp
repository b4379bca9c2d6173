// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// A rolling restart through a real load balancer, as figures: HAProxy in
// TCP mode in front of three canstop-echo instances, health-checked on
// /readyz every 100 ms (fall 1), with no retries and no redispatch (like
// kube-proxy, which never retries a connection). Short clients (a
// connection per request) and long-lived ones run through HAProxy while
// each instance in turn gets SIGTERM and, once it has exited, is replaced
// on the same ports, for the given number of rounds.
//
//   canstop-bench-rolling-restart [rounds] [lame-duck-ms]
//
// Runs with the lame duck given (default 1000) and with none, for the
// contrast. Needs haproxy (Debian package haproxy). Prints figures;
// asserts nothing.
#include "common/loopback.h"
#include "common/requestload.h"
#include "common/spawn.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The status of GET /readyz, 0 when nothing answers.
int readiness(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopbackAddress(port);
    int status = 0;
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0) {
        const char request[] = "GET /readyz HTTP/1.1\r\n\r\n";
        ::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
        char answer[32] = {};
        if (::recv(fd, answer, sizeof answer - 1, MSG_WAITALL) > 12)
            status = std::atoi(answer + 9);
    }
    ::close(fd);
    return status;
}

struct Instance
{
    quint16 port;
    quint16 healthPort;
    pid_t pid = -1;

    void start(int lameDuckMs, const std::string &log)
    {
        pid = bench::spawn({CANSTOP_ECHO, "--port", std::to_string(port), "--health-port",
                            std::to_string(healthPort), "--lame-duck", std::to_string(lameDuckMs),
                            "--shutdown-timeout", "10000"},
                           log);
        while (readiness(healthPort) != 200)
            std::this_thread::sleep_for(5ms); // a benchmark may wait; tests may not
    }
    int stop() { return bench::stop(pid); }
};

struct Figures
{
    int echoed, refused, reset, lost, unclean;
    qint64 p99Us;
};

Figures run(int rounds, int lameDuckMs)
{
    const std::string dir = "/tmp/canstop-bench-rolling-" + std::to_string(::getpid());
    ::mkdir(dir.c_str(), 0755);
    std::vector<Instance> instances(3);
    for (Instance &instance : instances) {
        instance.port = freeLoopbackPort();
        instance.healthPort = freeLoopbackPort();
        instance.start(lameDuckMs, dir + "/echo.log");
    }
    const quint16 front = freeLoopbackPort();
    {
        std::ofstream config(dir + "/haproxy.cfg");
        config << "global\n    maxconn 4000\n"
                  "defaults\n    mode tcp\n    retries 0\n    timeout connect 2s\n"
                  "    timeout client 30s\n    timeout server 30s\n"
                  "frontend echo\n    bind 127.0.0.1:"
               << front
               << "\n    default_backend instances\n"
                  "backend instances\n    balance roundrobin\n    option httpchk GET /readyz\n"
                  "    default-server inter 100ms fall 1 rise 1\n";
        for (size_t i = 0; i < instances.size(); ++i) {
            config << "    server echo" << i << " 127.0.0.1:" << instances[i].port << " check port "
                   << instances[i].healthPort << "\n";
        }
    }
    const pid_t haproxy = bench::spawn({"/usr/sbin/haproxy", "-db", "-f", dir + "/haproxy.cfg"},
                                       dir + "/haproxy.log");
    std::this_thread::sleep_for(1s); // its first health checks

    Figures figures{};
    {
        RequestLoad load(front, 4, 4);
        std::this_thread::sleep_for(500ms);
        for (int round = 0; round < rounds; ++round) {
            for (Instance &instance : instances) {
                if (instance.stop() != 0)
                    ++figures.unclean;
                instance.start(lameDuckMs, dir + "/echo.log");
                std::this_thread::sleep_for(300ms); // HAProxy sees it up (rise 1)
            }
        }
        load.stop();
        figures.echoed = load.echoed;
        figures.refused = load.refused;
        figures.reset = load.reset;
        figures.lost = load.lost;
        figures.p99Us = load.latencyPercentileUs(0.99);
    }
    bench::stop(haproxy);
    for (Instance &instance : instances)
        instance.stop();
    return figures;
}

} // namespace

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
    const int lameDuckMs = argc > 2 ? std::atoi(argv[2]) : 1000;
    std::printf("%d rounds of rolling restarts of 3 canstop-echo behind HAProxy (TCP, "
                "/readyz every 100 ms, fall 1, no retries), 4 short and 4 long-lived "
                "clients\n",
                rounds);
    std::printf("%-16s %8s %8s %8s %8s %8s %10s\n", "lame duck", "echoed", "failed", "reset",
                "lost", "exit!=0", "p99 (ms)");
    for (const int lameDuck : {lameDuckMs, 0}) {
        const Figures f = run(rounds, lameDuck);
        std::printf("%-16s %8d %8d %8d %8d %8d %10.1f\n",
                    (std::to_string(lameDuck) + " ms").c_str(), f.echoed, f.refused, f.reset,
                    f.lost, f.unclean, double(f.p99Us) / 1000.0);
    }
    return 0;
}
