// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "eventdispatcher_p.h"

#include "logging_p.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimerEvent>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#include <sys/syscall.h>
#endif

namespace canstop {

namespace {

constexpr qint64 NsPerMs = 1000000;
constexpr qint64 NsPerSecond = 1000 * NsPerMs;

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The whole second nearest to `ns`: where a very coarse timer's count starts.
qint64 nearestSecond(qint64 ns)
{
    return (ns + NsPerSecond / 2) / NsPerSecond * NsPerSecond;
}

// ThreadSanitizer's view: Debian's Qt is not instrumented.
#if defined(__SANITIZE_THREAD__)
// Qt orders the last wakeUp() from another thread (QThread::quit()) before
// the dispatcher's deletion with a mutex TSan cannot see: these show it that
// order. Not a HandOff: postCall() holds its mutex while it posts.
void wakeUpEnded(void *dispatcher)
{
    __tsan_release(dispatcher);
}

void lastWakeUpEnded(void *dispatcher)
{
    __tsan_acquire(dispatcher);
}

// A signal that arrives while TSan's epoll_wait() interceptor blocks is often
// never handed to the program (13 of 20 SIGINTs at an idle loop were lost;
// none with Qt's dispatcher, whose waits TSan does not see). So the waits
// bypass the interceptors, and TSan, which holds a signal until the thread
// next leaves an interceptor, gets that chance at least this often.
constexpr int TsanSignalTickMs = 50;

int tsanBounded(int timeoutMs)
{
    return timeoutMs < 0 || timeoutMs > TsanSignalTickMs ? TsanSignalTickMs : timeoutMs;
}

int epollWait(int epollFd, epoll_event *events, int count, int timeoutMs)
{
    return int(::syscall(SYS_epoll_wait, epollFd, events, count, tsanBounded(timeoutMs)));
}

int pollOne(pollfd *descriptor, int timeoutMs)
{
    return int(::syscall(SYS_poll, descriptor, 1, tsanBounded(timeoutMs)));
}
#else
void wakeUpEnded(void *) {}
void lastWakeUpEnded(void *) {}

int epollWait(int epollFd, epoll_event *events, int count, int timeoutMs)
{
    return ::epoll_wait(epollFd, events, count, timeoutMs);
}

int pollOne(pollfd *descriptor, int timeoutMs)
{
    return ::poll(descriptor, 1, timeoutMs);
}
#endif

// setDefault()'s word, once said; -1 until then (the environment decides).
std::atomic<int> chosen{-1};

bool defaultFromEnvironment()
{
    static const bool fromEnvironment = [] {
        if (!qEnvironmentVariableIsSet("CANSTOP_EVENT_DISPATCHER"))
            return true;
        const QByteArray value = qgetenv("CANSTOP_EVENT_DISPATCHER");
        if (const std::optional<bool> choice = parseDispatcherChoice(value))
            return *choice;
        qCWarning(lcEventDispatcher,
                  "CANSTOP_EVENT_DISPATCHER=%s: expected \"canstop\" or \"qt\"; canstop's is used",
                  value.left(64).toPercentEncoding(" \"").constData());
        return true;
    }();
    return fromEnvironment;
}

} // namespace

std::optional<bool> parseDispatcherChoice(const QByteArray &value)
{
    const QByteArray word = value.trimmed().toLower();
    if (word == "canstop")
        return true;
    if (word == "qt")
        return false;
    return std::nullopt;
}

EventDispatcherPrivate::EventDispatcherPrivate() : ready(ReadyPerTurn)
{
    epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epollFd < 0 || wakeFd < 0)
        qFatal("canstop::EventDispatcher: cannot create its epoll or eventfd descriptor: %s",
               std::strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeFd;
    if (::epoll_ctl(epollFd, EPOLL_CTL_ADD, wakeFd, &event) != 0)
        qFatal("canstop::EventDispatcher: cannot watch its eventfd: %s", std::strerror(errno));
}

EventDispatcherPrivate::~EventDispatcherPrivate()
{
    ::close(wakeFd);
    ::close(epollFd);
}

void EventDispatcherPrivate::rewatch(int fd, Watch &watch)
{
    quint32 wanted = 0;
    if (watch.notifiers[QSocketNotifier::Read])
        wanted |= EPOLLIN;
    if (watch.notifiers[QSocketNotifier::Write] && watch.writeTry == WriteTry::None)
        wanted |= EPOLLOUT;
    if (watch.notifiers[QSocketNotifier::Exception])
        wanted |= EPOLLPRI;
    if (watch.unpollable) {
        if (wanted == 0)
            unpollable.erase(fd);
        watch.events = wanted;
        return;
    }
    if (wanted == watch.events)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    const int operation = watch.events == 0 ? EPOLL_CTL_ADD
                          : wanted == 0     ? EPOLL_CTL_DEL
                                            : EPOLL_CTL_MOD;
    if (::epoll_ctl(epollFd, operation, fd, &event) != 0) {
        if (operation == EPOLL_CTL_ADD && errno == EPERM) {
            // A regular file or a device without poll support: poll()
            // calls it always ready, and so does this dispatcher.
            watch.unpollable = true;
            unpollable.insert(fd);
        } else if (operation != EPOLL_CTL_DEL) {
            qCWarning(lcEventDispatcher, "cannot watch descriptor %d: %s", fd,
                      std::strerror(errno));
            wanted = 0;
        }
        // A descriptor closed before its notifier was disabled has left
        // epoll already: nothing to remove.
    }
    watch.events = wanted;
}

int EventDispatcherPrivate::wait(int timeoutMs, bool sockets)
{
    if (!sockets) {
        pollfd wake{wakeFd, POLLIN, 0};
        if (pollOne(&wake, timeoutMs) <= 0)
            return 0;
        drainWakeUp();
        return 1;
    }
    if (!unpollable.empty())
        timeoutMs = 0;
    const int count = epollWait(epollFd, ready.data(), ReadyPerTurn, timeoutMs);
    if (count < 0 && errno != EINTR)
        qCWarning(lcEventDispatcher, "epoll_wait: %s", std::strerror(errno));
    return activateNotifiers(std::max(count, 0));
}

void EventDispatcherPrivate::drainWakeUp()
{
    eventfd_t count = 0;
    ::eventfd_read(wakeFd, &count);
    // After the read: a wakeUp() between the two writes again, at worst once too often.
    wakePending.store(false, std::memory_order_release);
}

int EventDispatcherPrivate::activateNotifiers(int count)
{
    int delivered = 0;
    // Local: a notifier's slot may run a nested event loop, with turns of its own.
    std::vector<std::pair<QSocketNotifier *, int>> due;
    due.reserve(size_t(count) + unpollable.size() * 2);
    const auto add = [&due](const Watch &watch, quint32 events) {
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && watch.notifiers[QSocketNotifier::Read])
            due.emplace_back(watch.notifiers[QSocketNotifier::Read], QSocketNotifier::Read);
        // A hang-up wakes a writer too: its write then fails and it learns why.
        if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && watch.notifiers[QSocketNotifier::Write])
            due.emplace_back(watch.notifiers[QSocketNotifier::Write], QSocketNotifier::Write);
        if ((events & EPOLLPRI) && watch.notifiers[QSocketNotifier::Exception])
            due.emplace_back(watch.notifiers[QSocketNotifier::Exception],
                             QSocketNotifier::Exception);
    };
    for (int i = 0; i < count; ++i) {
        const int fd = ready[size_t(i)].data.fd;
        if (fd == wakeFd) {
            drainWakeUp();
            ++delivered;
            continue;
        }
        const auto watch = watches.find(fd);
        if (watch != watches.end())
            add(watch->second, ready[size_t(i)].events);
    }
    for (const int fd : unpollable)
        add(watches[fd], EPOLLIN | EPOLLOUT);

    activations.push_back(&due);
    for (auto &[notifier, type] : due) {
        if (!notifier)
            continue; // unregistered by an earlier activation of this turn
        QSocketNotifier *const target = std::exchange(notifier, nullptr);
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(target, &event);
        ++delivered;
    }
    activations.pop_back();
    return delivered;
}

int EventDispatcherPrivate::tryWrites()
{
    std::vector<std::pair<QSocketNotifier *, int>> due;
    due.reserve(maybeWritable.size());
    for (QSocketNotifier *notifier : std::exchange(maybeWritable, {})) {
        watches[int(notifier->socket())].writeTry = WriteTry::Delivering;
        due.emplace_back(notifier, int(notifier->socket()));
    }
    int delivered = 0;
    activations.push_back(&due);
    for (auto &[notifier, fd] : due) {
        if (!notifier)
            continue; // disabled by an earlier activation of this turn
        QSocketNotifier *const target = notifier;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(target, &event);
        ++delivered;
        // Still enabled: Qt holds output the kernel did not take. Compared
        // by address only: `target` may be gone.
        const auto watch = watches.find(fd);
        if (watch != watches.end() && watch->second.writeTry == WriteTry::Delivering &&
            watch->second.notifiers[QSocketNotifier::Write] == target) {
            watch->second.writeTry = WriteTry::None;
            rewatch(fd, watch->second);
        }
    }
    activations.pop_back();
    return delivered;
}

void EventDispatcherPrivate::schedule(Timer &timer, qint64 now)
{
    const qint64 interval = timer.interval * NsPerMs;
    if (timer.type == Qt::VeryCoarseTimer && interval > 0) {
        timer.expiry += interval;
        if (timer.expiry <= now)
            timer.expiry = nearestSecond(now) + interval;
        return;
    }
    timer.expiry += interval;
    if (timer.expiry < now) // late (a blocked loop): no burst of catching up
        timer.expiry = now + interval;
}

int EventDispatcherPrivate::timeUntilNextTimer() const
{
    for (const auto &[expiry, id] : queue) {
        if (timers.at(id).firing)
            continue; // in its own timerEvent(): not due again until that returns
        const qint64 left = expiry - monotonicNs();
        if (left <= 0)
            return 0;
        const qint64 ms = (left + NsPerMs - 1) / NsPerMs;
        return int(std::min<qint64>(ms, std::numeric_limits<int>::max()));
    }
    return -1;
}

int EventDispatcherPrivate::activateTimers()
{
    if (queue.empty())
        return 0;
    const qint64 now = monotonicNs();
    // Each due timer fires once per turn, even a zero-interval one.
    std::vector<std::pair<int, quint64>> due;
    for (const auto &[expiry, id] : queue) {
        if (expiry > now)
            break;
        due.emplace_back(id, timers.at(id).serial);
    }
    int fired = 0;
    for (const auto &[id, serial] : due) {
        auto it = timers.find(id);
        if (it == timers.end() || it->second.serial != serial || it->second.firing)
            continue;
        Timer &timer = it->second;
        queue.erase({timer.expiry, id});
        schedule(timer, now);
        queue.emplace(timer.expiry, id);
        timer.firing = true;
        QObject *const object = timer.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
        it = timers.find(id); // the receiver may have stopped it, or more
        if (it != timers.end() && it->second.serial == serial)
            it->second.firing = false;
    }
    return fired;
}

EventDispatcher::EventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), d_ptr(std::make_unique<EventDispatcherPrivate>())
{}

EventDispatcher::~EventDispatcher()
{
    lastWakeUpEnded(d_ptr.get());
}

bool EventDispatcher::isDefault()
{
    const int choice = chosen.load(std::memory_order_acquire);
    return choice >= 0 ? choice == 1 : defaultFromEnvironment();
}

void EventDispatcher::setDefault(bool useIt)
{
    chosen.store(useIt ? 1 : 0, std::memory_order_release);
}

bool EventDispatcher::installInMainThread()
{
    if (!isDefault())
        return false;
    if (QCoreApplication::instance() || QAbstractEventDispatcher::instance()) {
        qCWarning(lcEventDispatcher,
                  "installInMainThread(): the main thread has its event dispatcher already; "
                  "call it before the QCoreApplication is made");
        return false;
    }
    QCoreApplication::setEventDispatcher(new EventDispatcher);
    return true;
}

bool EventDispatcher::installInThread(QThread *thread)
{
    if (!isDefault())
        return false;
    if (!thread || thread->isRunning() || thread->eventDispatcher()) {
        qCWarning(lcEventDispatcher,
                  "installInThread(): the thread is null, runs, or has its event dispatcher "
                  "already; call it before the thread starts");
        return false;
    }
    thread->setEventDispatcher(new EventDispatcher);
    return true;
}

bool EventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    Q_D(EventDispatcher);
    d->interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool timers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool wait = flags.testFlag(QEventLoop::WaitForMoreEvents) &&
                      !d->interrupted.load(std::memory_order_acquire);
    if (wait)
        Q_EMIT aboutToBlock();
    if (d->interrupted.load(std::memory_order_acquire))
        return false;

    const bool sockets = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    int timeoutMs = 0;
    if (wait && (d->maybeWritable.empty() || !sockets))
        timeoutMs = timers ? d->timeUntilNextTimer() : -1;
    int delivered = d->wait(timeoutMs, sockets);
    if (timers)
        delivered += d->activateTimers();
    if (sockets)
        delivered += d->tryWrites();
    return delivered > 0;
}

void EventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    Q_D(EventDispatcher);
    const int fd = int(notifier->socket());
    const int type = notifier->type();
    if (fd < 0 || type < 0 || type > QSocketNotifier::Exception) {
        qCWarning(lcEventDispatcher, "registerSocketNotifier(): no descriptor to watch");
        return;
    }
    EventDispatcherPrivate::Watch &watch = d->watches[fd];
    if (watch.notifiers[size_t(type)] && watch.notifiers[size_t(type)] != notifier)
        qCWarning(lcEventDispatcher,
                  "descriptor %d has two socket notifiers of one type: the later one is activated",
                  fd);
    watch.notifiers[size_t(type)] = notifier;
    if (type == QSocketNotifier::Write &&
        watch.writeTry == EventDispatcherPrivate::WriteTry::None && !(watch.events & EPOLLOUT) &&
        !watch.unpollable && notifier->parent() &&
        notifier->parent()->inherits("QAbstractSocketEngine")) {
        // Qt's own sockets take a try that finds no room (EAGAIN) in their
        // stride; other notifiers' owners may not, and wait for epoll.
        watch.writeTry = EventDispatcherPrivate::WriteTry::Queued;
        d->maybeWritable.push_back(notifier);
    }
    d->rewatch(fd, watch);
}

void EventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    Q_D(EventDispatcher);
    const int fd = int(notifier->socket());
    const auto it = d->watches.find(fd);
    if (it == d->watches.end())
        return;
    auto &slot = it->second.notifiers[size_t(notifier->type())];
    if (slot != notifier)
        return;
    slot = nullptr;
    for (auto *due : d->activations) {
        for (auto &activation : *due) {
            if (activation.first == notifier)
                activation.first = nullptr;
        }
    }
    if (notifier->type() == QSocketNotifier::Write) {
        if (it->second.writeTry == EventDispatcherPrivate::WriteTry::Queued)
            d->maybeWritable.erase(
                std::find(d->maybeWritable.begin(), d->maybeWritable.end(), notifier));
        it->second.writeTry = EventDispatcherPrivate::WriteTry::None;
    }
    d->rewatch(fd, it->second);
    if (it->second.empty())
        d->watches.erase(it);
}

void EventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                    QObject *object)
{
    Q_ASSERT(timerId > 0 && interval >= 0 && object);
    Q_D(EventDispatcher);
    const qint64 now = monotonicNs();
    EventDispatcherPrivate::Timer timer{object, interval, timerType, now, d->nextSerial++};
    if (timerType == Qt::CoarseTimer &&
        interval >= EventDispatcherPrivate::CoarseBecomesVeryCoarseMs)
        timer.type = Qt::VeryCoarseTimer;
    if (timer.type == Qt::VeryCoarseTimer && interval > 0) {
        const qint64 seconds = std::max<qint64>(1, (interval + 500) / 1000);
        timer.interval = seconds * 1000;
        timer.expiry = nearestSecond(now) + seconds * NsPerSecond;
    } else {
        timer.expiry = now + interval * NsPerMs;
    }
    if (const auto old = d->timers.find(timerId); old != d->timers.end()) {
        d->queue.erase({old->second.expiry, timerId});
        d->timers.erase(old);
    }
    d->queue.emplace(timer.expiry, timerId);
    d->timers.emplace(timerId, timer);
}

bool EventDispatcher::unregisterTimer(int timerId)
{
    Q_D(EventDispatcher);
    const auto it = d->timers.find(timerId);
    if (it == d->timers.end())
        return false;
    d->queue.erase({it->second.expiry, timerId});
    d->timers.erase(it);
    return true;
}

bool EventDispatcher::unregisterTimers(QObject *object)
{
    Q_D(EventDispatcher);
    bool found = false;
    for (auto it = d->timers.begin(); it != d->timers.end();) {
        if (it->second.object != object) {
            ++it;
            continue;
        }
        d->queue.erase({it->second.expiry, it->first});
        it = d->timers.erase(it);
        found = true;
    }
    return found;
}

QList<QAbstractEventDispatcher::TimerInfo> EventDispatcher::registeredTimers(QObject *object) const
{
    Q_D(const EventDispatcher);
    QList<TimerInfo> list;
    for (const auto &[id, timer] : d->timers) {
        if (timer.object == object)
            list.append(TimerInfo(id, int(timer.interval), timer.type));
    }
    return list;
}

int EventDispatcher::remainingTime(int timerId)
{
    Q_D(EventDispatcher);
    const auto it = d->timers.find(timerId);
    if (it == d->timers.end())
        return -1;
    const qint64 left = it->second.expiry - monotonicNs();
    return left <= 0 ? 0 : int((left + NsPerMs - 1) / NsPerMs);
}

void EventDispatcher::wakeUp()
{
    Q_D(EventDispatcher);
    // One write until the loop reads it: posting a thousand events costs one syscall.
    if (!d->wakePending.exchange(true, std::memory_order_acq_rel))
        ::eventfd_write(d->wakeFd, 1);
    wakeUpEnded(d);
}

void EventDispatcher::interrupt()
{
    Q_D(EventDispatcher);
    d->interrupted.store(true, std::memory_order_release);
    wakeUp();
}

void EventDispatcher::startingUp()
{
    if (qApp && qApp->inherits("QGuiApplication") && thread() == qApp->thread())
        qCWarning(lcEventDispatcher,
                  "canstop::EventDispatcher does not deliver window system events: a "
                  "QGuiApplication's main thread needs Qt's dispatcher");
}

} // namespace canstop
