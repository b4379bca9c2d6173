// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QDeadlineTimer>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace canstop {

// Ends the process when the graceful path cannot: a second terminating
// signal during a shutdown, any terminating signal after it, or a shutdown
// still running when its deadline and a short grace have passed. It runs on
// a thread of its own, so a blocked main thread cannot hold it up; it reads
// what is still pending through a thread-safe callback.
//
// The rules, in the order they are checked, for a SIGINT or SIGTERM:
//  - within DuplicateWindow of the first one: the same signal delivered
//    twice (a wrapper forwarding the terminal's SIGINT), ignored;
//  - the first one: starts (or joins) the shutdown, and its deadline
//    counts from now even if the main thread has not noticed yet;
//  - the next one during a lame duck: ends the lame duck (the drain starts
//    at once), through the skip callback;
//  - any later one, or any one after the shutdown finished: one critical
//    line, then _exit(128 + signal).
// And a process still there at the deadline plus Grace ends then: in the
// sequence (exit code 1), or once exec() has returned after it, on its way
// out with the report's code but held up in its cleanup (~QCoreApplication
// waits for the global thread pool; a destructor blocks) even after this
// object is gone.
class HardStop
{
public:
    static constexpr std::chrono::milliseconds DuplicateWindow{100};
    static constexpr std::chrono::milliseconds Grace{500};

    // Both are called on the HardStop's own thread.
    using Pending = std::function<QString()>;
    using Exit = std::function<void(int exitCode, const QString &message)>;

    // `exit` defaults to exitNow(); tests record instead.
    explicit HardStop(Pending pending, Exit exit = {});
    // Logs the message (critical), flushes stdio and _exit(exitCode).
    static void exitNow(int exitCode, const QString &message);
    ~HardStop();
    HardStop(const HardStop &) = delete;
    HardStop &operator=(const HardStop &) = delete;

    // The shutdown's budget, for a deadline armed by a signal: positive and
    // at most INT_MAX ms (a QDeadlineTimer's and a property's range), else
    // refused with one warning.
    bool setTimeout(std::chrono::milliseconds timeout);

    // Makes this the process's receiver of signalArrived(); false with one
    // warning if its thread or pipe cannot be made.
    bool receiveSignals();
    // Async-signal-safe: for the signal handler.
    static void signalArrived(int signalNumber) noexcept;

    // The shutdown has begun in the manager's thread: returns its deadline,
    // counted from the first terminating signal if one came earlier, and
    // arms the hard stop at that deadline plus Grace.
    QDeadlineTimer begin();
    // The sequence is over: no deadline; a later terminating signal ends
    // the process at once. With `exitCode` the process is on its way out
    // with it (autoExit), and once exec() has returned too it must be gone
    // by the deadline plus Grace: a detached thread of its own sees to it,
    // which outlives this object. Without, the application goes on.
    void finished(std::optional<int> exitCode = std::nullopt);
    // QCoreApplication::exec() has returned (aboutToQuit).
    void execReturned();
    // While a lame duck runs, a second signal calls `skip` (on the hard
    // stop's thread) instead of ending the process.
    void setLameDuck(bool running, std::function<void()> skip = {});
    // Child processes it kills (SIGKILL) before it ends the process, so
    // that none is left behind.
    void setChildren(std::vector<qint64> pids);
    // Thread-safe: whether a SIGINT or SIGTERM has reached the handler since
    // receiveSignals(), even if no thread has acted on it yet.
    bool terminationSignalled() const;
    // What terminationSignalled() compares: SIGINTs and SIGTERMs counted by
    // the handler, process-wide; read from any thread.
    static const std::atomic<int> *terminationSignalCount() noexcept;

private:
    bool startThread();
    void run();
    void onSignal(int signalNumber, qint64 arrivedNs, std::unique_lock<std::mutex> &lock);
    void end(std::unique_lock<std::mutex> &lock, int exitCode, const QString &why);
    void armLastWord(); // under m_mutex

    const Pending m_pending;
    const Exit m_exit;

    std::mutex m_mutex;
    std::chrono::milliseconds m_timeout{30000};
    std::optional<qint64> m_firstSignalNs; // CLOCK_MONOTONIC
    std::optional<qint64> m_hardDeadlineNs;
    qint64 m_deadlineNs = 0;            // the shutdown's own deadline, for the message
    std::optional<qint64> m_finishedNs; // when the sequence finished
    std::optional<int> m_exitingWith;   // after it: the code the process is ending with
    bool m_execReturned = false;
    bool m_lastWordArmed = false;
    bool m_quit = false;
    bool m_lameDuck = false;
    std::function<void()> m_skipLameDuck;
    std::vector<qint64> m_children;
    // The handler's count when this began to receive; -1 before.
    std::atomic<int> m_signalsBefore{-1};

    int m_readFd = -1;
    int m_writeFd = -1;
    std::thread m_thread;
};

} // namespace canstop
