// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "hardstop_p.h"

#include "logging_p.h"
#include "signalbridge_p.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <limits>
#include <poll.h>
#include <unistd.h>

namespace canstop {

namespace {

// The write end of the pipe of the HardStop that receives signals; the
// handler reads nothing else.
std::atomic<int> s_signalFd{-1};
// SIGINTs and SIGTERMs the handler has seen, for readiness that fails the
// instant one arrives.
std::atomic<int> s_terminationSignals{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

// One record per delivery, written whole (smaller than PIPE_BUF). Number 0
// only wakes the thread to look at its state again.
struct Record
{
    int number;
    qint64 monotonicNs;
};

qint64 monotonicNs() noexcept
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now); // async-signal-safe
    return qint64(now.tv_sec) * 1000000000 + now.tv_nsec;
}

void writeRecord(int fd, int number) noexcept
{
    const Record record{number, monotonicNs()};
    // A full pipe already holds records that will end the process.
    [[maybe_unused]] const ssize_t written = ::write(fd, &record, sizeof record);
}

constexpr qint64 toNs(std::chrono::milliseconds ms)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

} // namespace

void HardStop::exitNow(int exitCode, const QString &message)
{
    qCCritical(lcSignals, "%ls", qUtf16Printable(message));
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(exitCode);
}

HardStop::HardStop(Pending pending, Exit exit)
    : m_pending(std::move(pending)), m_exit(exit ? std::move(exit) : Exit(exitNow))
{}

HardStop::~HardStop()
{
    int self = m_writeFd;
    s_signalFd.compare_exchange_strong(self, -1);
    if (m_thread.joinable()) {
        {
            std::lock_guard lock(m_mutex);
            m_quit = true;
        }
        writeRecord(m_writeFd, 0);
        m_thread.join();
    }
    if (m_readFd >= 0) {
        ::close(m_readFd);
        ::close(m_writeFd);
    }
}

bool HardStop::setTimeout(std::chrono::milliseconds timeout)
{
    if (timeout.count() <= 0 || timeout.count() > std::numeric_limits<int>::max()) {
        qCWarning(lcLifecycle, "shutdown timeout of %lld ms refused: %s %d ms",
                  static_cast<long long>(timeout.count()),
                  timeout.count() <= 0 ? "it must be positive, at most" : "it is longer than",
                  std::numeric_limits<int>::max());
        return false;
    }
    std::lock_guard lock(m_mutex);
    m_timeout = timeout;
    return true;
}

bool HardStop::startThread()
{
    if (m_thread.joinable())
        return true;
    int fds[2];
    if (::pipe(fds) != 0) {
        qCWarning(lcSignals, "cannot guard the shutdown deadline: pipe() failed: %s",
                  std::strerror(errno));
        return false;
    }
    for (const int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    m_readFd = fds[0];
    m_writeFd = fds[1];
    m_thread = std::thread([this] { run(); });
    return true;
}

bool HardStop::receiveSignals()
{
    if (!startThread())
        return false;
    m_signalsBefore = s_terminationSignals.load();
    s_signalFd.store(m_writeFd, std::memory_order_release);
    return true;
}

const std::atomic<int> *HardStop::terminationSignalCount() noexcept
{
    return &s_terminationSignals;
}

bool HardStop::terminationSignalled() const
{
    const int before = m_signalsBefore.load();
    return before >= 0 && s_terminationSignals.load() != before;
}

void HardStop::setLameDuck(bool running, std::function<void()> skip)
{
    std::lock_guard lock(m_mutex);
    m_lameDuck = running;
    m_skipLameDuck = std::move(skip);
}

void HardStop::signalArrived(int signalNumber) noexcept
{
    s_terminationSignals.fetch_add(1);
    const int fd = s_signalFd.load(std::memory_order_acquire);
    if (fd >= 0)
        writeRecord(fd, signalNumber);
}

QDeadlineTimer HardStop::begin()
{
    startThread();
    std::lock_guard lock(m_mutex);
    const qint64 now = monotonicNs();
    if (!m_hardDeadlineNs) {
        m_deadlineNs = now + toNs(m_timeout);
        m_hardDeadlineNs = m_deadlineNs + toNs(Grace);
    }
    if (m_writeFd >= 0)
        writeRecord(m_writeFd, 0);
    return QDeadlineTimer(std::chrono::nanoseconds(std::max<qint64>(0, m_deadlineNs - now)),
                          Qt::PreciseTimer);
}

void HardStop::finished(std::optional<int> exitCode)
{
    std::lock_guard lock(m_mutex);
    m_finishedNs = monotonicNs();
    m_exitingWith = exitCode;
    m_hardDeadlineNs.reset();
    if (m_execReturned)
        armLastWord();
    if (m_writeFd >= 0)
        writeRecord(m_writeFd, 0);
}

void HardStop::execReturned()
{
    std::lock_guard lock(m_mutex);
    m_execReturned = true;
    armLastWord();
}

void HardStop::armLastWord()
{
    if (!m_exitingWith || m_lastWordArmed || m_deadlineNs == 0)
        return;
    m_lastWordArmed = true;
    const qint64 at = m_deadlineNs + toNs(Grace);
    // Detached, with copies: it outlives the manager, which main() destroys
    // before the cleanup that may block.
    std::thread([exit = m_exit, at, code = *m_exitingWith] {
        const timespec until{time_t(at / 1000000000), long(at % 1000000000)};
        while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
        }
        exit(code, QStringLiteral("the shutdown finished, but the process had not ended by its "
                                  "deadline (+%1 ms grace; its cleanup blocks, such as "
                                  "~QCoreApplication waiting for the global thread pool): "
                                  "exiting now with %2")
                       .arg(Grace.count())
                       .arg(code));
    }).detach();
}

void HardStop::run()
{
    std::unique_lock lock(m_mutex);
    while (!m_quit) {
        int waitMs = -1;
        if (m_hardDeadlineNs) {
            const qint64 left = *m_hardDeadlineNs - monotonicNs();
            if (left <= 0) {
                end(lock, 1,
                    QStringLiteral("the shutdown did not finish by its deadline (+%1 ms grace): "
                                   "exiting now with 1")
                        .arg(Grace.count()));
                continue;
            }
            waitMs = int(std::min<qint64>((left + 999999) / 1000000, 60000));
        }
        lock.unlock();
        pollfd readable{m_readFd, POLLIN, 0};
        const int ready = ::poll(&readable, 1, waitMs);
        Record records[16];
        const ssize_t got = ready > 0 ? ::read(m_readFd, records, sizeof records) : 0;
        lock.lock();
        for (ssize_t i = 0; i < got / ssize_t(sizeof(Record)); ++i) {
            if (records[i].number != 0)
                onSignal(records[i].number, records[i].monotonicNs, lock);
        }
    }
}

void HardStop::onSignal(int signalNumber, qint64 arrivedNs, std::unique_lock<std::mutex> &lock)
{
    const QString name = SignalBridge::signalName(signalNumber);
    if (m_firstSignalNs && arrivedNs - *m_firstSignalNs < toNs(DuplicateWindow)) {
        qCDebug(lcSignals, "%ls within %lld ms of the first: the same signal delivered twice",
                qUtf16Printable(name), static_cast<long long>(DuplicateWindow.count()));
        return;
    }
    const int exitCode = 128 + signalNumber;
    // By when it arrived, not when this thread got to it: the signal that
    // started a quick shutdown may be read after that shutdown finished.
    if (m_finishedNs && arrivedNs >= *m_finishedNs) {
        end(lock, exitCode,
            QStringLiteral("%1 after the shutdown finished: exiting now with %2")
                .arg(name)
                .arg(exitCode));
        return;
    }
    if (!m_firstSignalNs) {
        m_firstSignalNs = arrivedNs;
        if (!m_hardDeadlineNs && !m_finishedNs) {
            m_deadlineNs = arrivedNs + toNs(m_timeout);
            m_hardDeadlineNs = m_deadlineNs + toNs(Grace);
        }
        return;
    }
    if (m_lameDuck && m_skipLameDuck) {
        // The deliberate second signal ends the lame duck; a third one exits.
        m_lameDuck = false;
        m_firstSignalNs = arrivedNs;
        qCInfo(lcSignals, "second %ls during the lame duck: draining now; another one exits",
               qUtf16Printable(name));
        const auto skip = std::exchange(m_skipLameDuck, {});
        lock.unlock();
        skip();
        lock.lock();
        return;
    }
    end(lock, exitCode,
        QStringLiteral("second %1 during the shutdown: exiting now with %2")
            .arg(name)
            .arg(exitCode));
}

void HardStop::setChildren(std::vector<qint64> pids)
{
    std::lock_guard lock(m_mutex);
    m_children = std::move(pids);
}

void HardStop::end(std::unique_lock<std::mutex> &lock, int exitCode, const QString &why)
{
    // An exit that returns (a test's) disarms, so it is reported once.
    m_hardDeadlineNs.reset();
    m_firstSignalNs.reset();
    const std::vector<qint64> children = std::exchange(m_children, {});
    for (const qint64 pid : children)
        ::kill(pid_t(pid), SIGKILL);
    lock.unlock();
    QString message = why;
    if (const QString pending = m_pending ? m_pending() : QString(); !pending.isEmpty())
        message += QStringLiteral("; still pending: ") + pending;
    if (!children.empty())
        message += QStringLiteral("; killed %1 child process(es) first").arg(children.size());
    m_exit(exitCode, message);
    lock.lock();
}

} // namespace canstop
