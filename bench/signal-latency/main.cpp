// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Time from kill() in another thread to the Qt slot that hears about it,
// through canstop's signal bridge and through a bare socketpair +
// QSocketNotifier bridge, measured the same way in the same run.
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

// The smallest correct bridge: what canstop's is measured against.
int s_bareFds[2] = {-1, -1};

extern "C" void bareHandler(int)
{
    const int savedErrno = errno;
    const char byte = 0;
    [[maybe_unused]] const ssize_t written = ::write(s_bareFds[1], &byte, 1);
    errno = savedErrno;
}

class BareBridge : public QObject
{
    Q_OBJECT
public:
    BareBridge()
    {
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s_bareFds);
        struct sigaction action = {};
        action.sa_handler = bareHandler;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(SIGUSR1, &action, &m_previous);
        m_notifier = new QSocketNotifier(s_bareFds[0], QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            char buffer[64];
            while (::read(s_bareFds[0], buffer, sizeof buffer) > 0) {
            }
            Q_EMIT caught(SIGUSR1);
        });
    }
    ~BareBridge() override
    {
        ::sigaction(SIGUSR1, &m_previous, nullptr);
        delete m_notifier;
        ::close(s_bareFds[0]);
        ::close(s_bareFds[1]);
    }
Q_SIGNALS:
    void caught(int signalNumber);

private:
    struct sigaction m_previous = {};
    QSocketNotifier *m_notifier = nullptr;
};

// Sends `count` signals from another thread, one at a time, and collects
// the time from each kill() to the slot.
class Round
{
public:
    explicit Round(int count) : m_count(count) { m_samples.reserve(count); }

    void heard()
    {
        const auto now = Clock::now();
        std::lock_guard lock(m_mutex);
        m_samples.push_back(std::chrono::duration<double, std::micro>(now - m_sent).count());
        m_heard = true;
        m_wake.notify_one();
        if (static_cast<int>(m_samples.size()) == m_count)
            QCoreApplication::exit(0);
    }

    std::vector<double> run()
    {
        std::thread sender([this] {
            for (int i = 0; i < m_count; ++i) {
                std::unique_lock lock(m_mutex);
                m_heard = false;
                m_sent = Clock::now();
                ::kill(::getpid(), SIGUSR1);
                m_wake.wait(lock, [this] { return m_heard; });
            }
        });
        QCoreApplication::exec();
        sender.join();
        return m_samples;
    }

private:
    const int m_count;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_heard = false;
    Clock::time_point m_sent;
    std::vector<double> m_samples;
};

double percentile(std::vector<double> samples, double p)
{
    std::sort(samples.begin(), samples.end());
    return samples[static_cast<size_t>(p * static_cast<double>(samples.size() - 1))];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // Each round ends the event loop, which canstop treats as a quit: not news here.
    QLoggingCategory::setFilterRules(QStringLiteral("canstop.*.info=false"));
    const int total = argc > 1 ? std::atoi(argv[1]) : 10000;
    constexpr int Rounds = 10; // alternated, so drift hits both alike

    std::vector<double> canstopSamples, bareSamples;
    for (int round = 0; round < Rounds; ++round) {
        {
            canstop::LifecycleManager manager;
            manager.setAutoExit(false);
            manager.watchSignals({SIGUSR1});
            Round measure(total / Rounds);
            QObject::connect(&manager, &canstop::LifecycleManager::signalReceived, &manager,
                             [&measure] { measure.heard(); });
            const auto samples = measure.run();
            canstopSamples.insert(canstopSamples.end(), samples.begin(), samples.end());
        }
        {
            BareBridge bridge;
            Round measure(total / Rounds);
            QObject::connect(&bridge, &BareBridge::caught, &bridge,
                             [&measure] { measure.heard(); });
            const auto samples = measure.run();
            bareSamples.insert(bareSamples.end(), samples.begin(), samples.end());
        }
    }

    const double canstopMedian = percentile(canstopSamples, 0.5);
    const double bareMedian = percentile(bareSamples, 0.5);
    std::printf("signal latency, kill() in another thread to the slot, %zu signals each\n",
                canstopSamples.size());
    std::printf("  canstop bridge   median %7.1f us   p99 %7.1f us\n", canstopMedian,
                percentile(canstopSamples, 0.99));
    std::printf("  bare bridge      median %7.1f us   p99 %7.1f us\n", bareMedian,
                percentile(bareSamples, 0.99));
    std::printf("  ratio (median)   %.2fx\n", canstopMedian / bareMedian);
    return 0;
}

#include "main.moc"
