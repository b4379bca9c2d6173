// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/eventdispatcher.h>

#include <QByteArray>

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// CANSTOP_EVENT_DISPATCHER's value: "canstop" → true, "qt" → false (any
// case, spaces around allowed), anything else none.
std::optional<bool> parseDispatcherChoice(const QByteArray &value);

class EventDispatcherPrivate
{
public:
    // epoll_wait()'s batch: more ready descriptors wait for the next turn
    // (level triggered, nothing is lost).
    static constexpr int ReadyPerTurn = 256;
    // A coarse timer is allowed 5 % of its interval: from this interval on,
    // that is a second or more, so it fires on whole seconds, as Qt's do.
    static constexpr qint64 CoarseBecomesVeryCoarseMs = 20000;

    EventDispatcherPrivate();
    ~EventDispatcherPrivate();

    // A Qt socket's write notifier, enabled because Qt holds output: tried
    // at the end of the turn, as if writable, before epoll is asked (two
    // epoll_ctl() calls a reply saved). Qt writes what the kernel takes and
    // disables it; only if output is left does epoll watch for room.
    enum class WriteTry : quint8 {
        None,       // epoll watches the write notifier, if any
        Queued,     // in maybeWritable
        Delivering, // being activated
    };

    // A descriptor's notifiers, by QSocketNotifier::Type, and what epoll
    // watches it for (0: not in epoll).
    struct Watch
    {
        std::array<QSocketNotifier *, 3> notifiers{};
        quint32 events = 0;
        bool unpollable = false; // epoll refuses it (a regular file): always ready
        WriteTry writeTry = WriteTry::None;
        bool empty() const { return !notifiers[0] && !notifiers[1] && !notifiers[2]; }
    };
    void rewatch(int fd, Watch &watch);
    // Activates the write notifiers in maybeWritable; those still enabled
    // afterwards (the kernel took less than Qt holds) go to epoll.
    int tryWrites();
    // Waits up to `timeoutMs` (-1: no limit) on epoll, or on the wake-up
    // descriptor alone when `sockets` is false; activates what is ready.
    int wait(int timeoutMs, bool sockets);
    void drainWakeUp();
    int activateNotifiers(int count);

    struct Timer
    {
        QObject *object;
        qint64 interval; // as kept: whole seconds' worth for a very coarse timer
        Qt::TimerType type;
        qint64 expiry;       // ns on the monotonic clock
        quint64 serial;      // tells a timer from a later one that reuses its id
        bool firing = false; // in its own timerEvent(): not fired again meanwhile
    };
    // Its next expiry, after it fired at `now`.
    void schedule(Timer &timer, qint64 now);
    // Milliseconds until the earliest timer, rounded up; -1 if none.
    int timeUntilNextTimer() const;
    int activateTimers();

    int epollFd = -1;
    int wakeFd = -1; // an eventfd: wakeUp() from any thread
    std::atomic<bool> wakePending{false};
    std::atomic<bool> interrupted{false};

    std::unordered_map<int, Watch> watches;
    std::set<int> unpollable;
    std::vector<epoll_event> ready;
    // The activations still to deliver, one list per turn in progress
    // (nested loops): a notifier unregistered meanwhile is taken out of
    // them, so it is never activated after that.
    std::vector<std::vector<std::pair<QSocketNotifier *, int>> *> activations;
    std::vector<QSocketNotifier *> maybeWritable; // see WriteTry

    std::unordered_map<int, Timer> timers;
    std::set<std::pair<qint64, int>> queue; // (expiry, id), earliest first
    quint64 nextSerial = 0;
};

} // namespace canstop
