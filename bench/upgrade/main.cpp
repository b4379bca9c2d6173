// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Upgrades as figures: canstop-echo upgraded on SIGUSR2 again and again
// under the load bench/restart uses, and the same load with no upgrade.
//
//   canstop-bench-upgrade [upgrades] [threads]
//
// Each thread count is of short clients (a connection per request) and as
// many long-lived ones (a request every 400 ms on one connection). Prints
// what the clients saw, the latency of a short request (connect to reply)
// with and without upgrades, and how long an upgrade takes: SIGUSR2 to the
// new instance's PID file, and to the old instance's exit. This process is
// the instances' subreaper, so it sees every exit. Asserts nothing.
#include "common/requestload.h"
#include "common/spawn.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// How long each instance serves before the next upgrade, as bench/restart.
constexpr auto ServeFor = 100ms;

pid_t readPid(const std::string &path)
{
    std::ifstream in(path);
    long pid = 0;
    return in >> pid ? pid_t(pid) : 0;
}

// A benchmark may poll; tests may not.
template <typename Condition> bool pollFor(Condition condition, std::chrono::seconds limit = 30s)
{
    const auto until = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() > until)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

quint16 portIn(const std::string &log)
{
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        const auto at = line.find("listening on 127.0.0.1:");
        if (at != std::string::npos)
            return quint16(std::stoi(line.substr(at + 23)));
    }
    return 0;
}

struct Figures
{
    double seconds;
    int echoed, refused, reset, lost, failedExits;
    qint64 p50Us, p99Us;
    std::vector<double> readyMs, exitMs; // per upgrade
};

Figures run(int upgrades, int threads, int periods)
{
    const std::string base = "/tmp/canstop-bench-upgrade-" + std::to_string(::getpid());
    const std::string pidFile = base + ".pid";
    const std::string log = base + ".log";
    ::unlink(pidFile.c_str());
    pid_t server = bench::spawn({CANSTOP_ECHO, "--port", "0", "--pid-file", pidFile}, log);
    quint16 port = 0;
    pollFor([&] { return (port = portIn(log)) != 0 && readPid(pidFile) == server; });
    Figures figures{};
    {
        RequestLoad load(port, threads, threads);
        const auto began = Clock::now();
        for (int i = 0; i < periods; ++i) {
            std::this_thread::sleep_for(ServeFor);
            if (i >= upgrades)
                continue;
            const auto asked = Clock::now();
            ::kill(server, SIGUSR2);
            pollFor([&] { return readPid(pidFile) != server; });
            figures.readyMs.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - asked).count());
            const pid_t next = readPid(pidFile);
            int status = 0;
            ::waitpid(server, &status, 0);
            figures.exitMs.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - asked).count());
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                ++figures.failedExits;
            server = next;
        }
        load.stop();
        figures.seconds = std::chrono::duration<double>(Clock::now() - began).count();
        figures.echoed = load.echoed;
        figures.refused = load.refused;
        figures.reset = load.reset;
        figures.lost = load.lost;
        figures.p50Us = load.latencyPercentileUs(0.5);
        figures.p99Us = load.latencyPercentileUs(0.99);
    }
    bench::stop(server);
    ::unlink(log.c_str());
    return figures;
}

double percentile(std::vector<double> values, double fraction)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[size_t(fraction * double(values.size() - 1))];
}

} // namespace

int main(int argc, char **argv)
{
    const int upgrades = argc > 1 ? std::atoi(argv[1]) : 100;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    // The steady run first, as long as the upgrades' in instance lifetimes.
    const Figures steady = run(0, threads, upgrades);
    const Figures upgraded = run(upgrades, threads, upgrades);

    std::printf("%d upgrades of canstop-echo under %d short and %d long-lived clients\n", upgrades,
                threads, threads);
    std::printf("%-22s %8s %10s %8s %8s %8s %8s %9s %9s\n", "run", "seconds", "requests/s",
                "echoed", "refused", "reset", "lost", "p50 us", "p99 us");
    for (const auto &[name, f] : {std::pair{"no upgrade", steady}, {"upgrades", upgraded}}) {
        std::printf("%-22s %8.1f %10.0f %8d %8d %8d %8d %9lld %9lld\n", name, f.seconds,
                    f.echoed / f.seconds, f.echoed, f.refused, f.reset, f.lost,
                    static_cast<long long>(f.p50Us), static_cast<long long>(f.p99Us));
    }
    std::printf("p99 with upgrades / without: %.2fx\n",
                steady.p99Us > 0 ? double(upgraded.p99Us) / double(steady.p99Us) : 0.0);
    std::printf("per upgrade, SIGUSR2 to the new instance ready (its PID file): p50 %.1f ms, p99 "
                "%.1f ms; to the old instance's exit: p50 %.1f ms, p99 %.1f ms; old instances "
                "exiting non-zero: %d\n",
                percentile(upgraded.readyMs, 0.5), percentile(upgraded.readyMs, 0.99),
                percentile(upgraded.exitMs, 0.5), percentile(upgraded.exitMs, 0.99),
                upgraded.failedExits);
    return 0;
}
