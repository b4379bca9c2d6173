// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// What the stop token costs: a check in a tight loop, and the time from a
// SIGTERM (raise()) until 8 cooperative pool tasks have all seen it; each
// beside a bare std::atomic<bool> flag, the floor, in the same run.
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QThreadPool>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

constexpr long Checks = 100'000'000;
constexpr int Tasks = 8;
constexpr int Rounds = 20;

std::atomic<bool> s_flag{false};

double nsPerCheck(const std::function<bool()> &stopped)
{
    long seen = 0;
    const auto start = Clock::now();
    for (long i = 0; i < Checks; ++i)
        seen += stopped() ? 1 : 0;
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    return seen == 0 ? ns / Checks : -1;
}

// Microseconds from `stop()` until the last of `Tasks` tasks, each testing
// `stopped()` between steps of 1,000 loop turns of work, has returned.
double usUntilAllStopped(QThreadPool &pool, const std::function<bool()> &stopped,
                         const std::function<void()> &stop)
{
    std::atomic<int> running{0};
    std::atomic<long long> lastNs{0};
    for (int i = 0; i < Tasks; ++i) {
        pool.start([&] {
            ++running;
            volatile long work = 0;
            while (!stopped()) {
                for (int step = 0; step < 1000; ++step)
                    work = work + step;
            }
            const long long now = Clock::now().time_since_epoch().count();
            long long seen = lastNs.load();
            while (now > seen && !lastNs.compare_exchange_weak(seen, now)) {
            }
        });
    }
    while (running.load() < Tasks)
        QThread::yieldCurrentThread();
    const long long before = Clock::now().time_since_epoch().count();
    stop();
    pool.waitForDone();
    return double(lastNs.load() - before) / 1000.0;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("canstop.*.info=false"));

    {
        canstop::LifecycleManager lifecycle;
        const canstop::StopToken token = lifecycle.stopToken();
        const double flag = nsPerCheck([] { return s_flag.load(std::memory_order_acquire); });
        const double check = nsPerCheck([&token] { return token.isStopRequested(); });
        std::printf("a check in a tight loop (%ld): isStopRequested() %.2f ns, "
                    "std::atomic<bool> %.2f ns\n",
                    Checks, check, flag);
    }

    QThreadPool pool;
    pool.setMaxThreadCount(Tasks);
    std::vector<double> token, flag;
    for (int round = 0; round < Rounds; ++round) {
        s_flag = false;
        flag.push_back(usUntilAllStopped(
            pool, [] { return s_flag.load(std::memory_order_acquire); }, [] { s_flag = true; }));
        canstop::LifecycleManager lifecycle;
        lifecycle.setAutoExit(false);
        lifecycle.watchSignals();
        const canstop::StopToken stop = lifecycle.stopToken();
        token.push_back(usUntilAllStopped(
            pool, [&stop] { return stop.isStopRequested(); }, [] { ::raise(SIGTERM); }));
        while (lifecycle.state() != canstop::LifecycleManager::State::Stopped)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    std::printf("%d pool tasks all stopped, median of %d on %d cores: SIGTERM to the stop token "
                "%.0f us (max %.0f), std::atomic<bool> set %.0f us (max %.0f)\n",
                Tasks, Rounds, QThread::idealThreadCount(), median(token),
                *std::max_element(token.begin(), token.end()), median(flag),
                *std::max_element(flag.begin(), flag.end()));
    return 0;
}
