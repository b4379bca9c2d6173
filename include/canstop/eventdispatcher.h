// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>

#include <QAbstractEventDispatcher>

#include <memory>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace canstop {

class EventDispatcherPrivate;

/// An event dispatcher for Linux whose cost per turn of the event loop does
/// not grow with the sockets it watches. Qt's own dispatchers (GLib's and
/// Qt's) poll every registered descriptor on every turn; this one asks
/// `epoll` for the ready ones only, wakes with an `eventfd`, and keeps its
/// timers ordered by expiry, the earliest being `epoll`'s timeout. A thread
/// holding ten thousand idle connections serves its busy ones as fast as a
/// thread holding none. A Qt socket's output is written at the end of the
/// turn it was written in; only what the kernel does not take then waits
/// for `epoll` to report room.
///
/// It implements Qt's whole contract for a thread without a GUI: socket
/// notifiers (several on one descriptor, enabled and disabled, removed
/// from inside their own activation), the three timer types, zero-interval
/// timers, posted events, wake-ups from any thread, interrupt(), nested
/// event loops and the `processEvents()` flags.
///
/// Timers: Qt::PreciseTimer and Qt::CoarseTimer keep millisecond accuracy
/// (coarse ones are allowed 5 % and never need it); Qt::VeryCoarseTimer,
/// and a coarse timer of 20 s or more, fire on whole seconds, the interval
/// rounded to the nearest second (at least one).
///
/// canstop's own threads run on it (GracefulTcpServer::serveInThreads()).
/// For the main thread of a server, install it before the application
/// exists, as Qt's QCoreApplication::setEventDispatcher() requires:
///
/// ```cpp
/// int main(int argc, char **argv)
/// {
///     canstop::EventDispatcher::installInMainThread(); // before the QCoreApplication
///     QCoreApplication app(argc, argv);
///     // ...
///     return app.exec();
/// }
/// ```
///
/// What it does not do: deliver a window system's events (a
/// QGuiApplication's main thread keeps Qt's), or run a GLib main context
/// (code that attaches GLib sources to the thread's default context, such
/// as GStreamer's bus watch, needs Qt's GLib dispatcher in that thread).
/// `CANSTOP_EVENT_DISPATCHER=qt` in the environment keeps Qt's dispatcher
/// everywhere canstop would install this one.
class CANSTOP_LIFECYCLE_EXPORT EventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT

public:
    /// An event dispatcher for the thread that first runs it: give it to
    /// QThread::setEventDispatcher() before the thread starts, or to
    /// QCoreApplication::setEventDispatcher() before the application exists.
    explicit EventDispatcher(QObject *parent = nullptr);
    ~EventDispatcher() override;

    /// Whether canstop installs it: in its own threads, and through
    /// installInMainThread() and installInThread(). True unless
    /// `CANSTOP_EVENT_DISPATCHER=qt` is in the environment (`canstop`, the
    /// other value, is the default) or setDefault() said otherwise.
    static bool isDefault();
    /// Sets isDefault() for the whole process, before the threads start.
    static void setDefault(bool useIt);
    /// If isDefault(), makes a new EventDispatcher the main thread's: call
    /// before the QCoreApplication is made. False when Qt's is kept, and
    /// false with one warning once an application or a main-thread
    /// dispatcher exists.
    static bool installInMainThread();
    /// If isDefault(), gives `thread`, not started yet, a new
    /// EventDispatcher. False when Qt's is kept, and false with one warning
    /// for a thread that runs or has a dispatcher.
    static bool installInThread(QThread *thread);

    /// Runs one turn: the posted events, then the ready socket notifiers,
    /// then the timers that are due, then the Qt sockets given output in
    /// the turn; waits first, if `flags` allow it, until one of them is
    /// there. True if any was delivered.
    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    /// Watches the notifier's descriptor for its type (QSocketNotifier
    /// calls it when enabled).
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    /// Stops watching for it, even in the middle of a turn that found it ready.
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    using QAbstractEventDispatcher::registerTimer;
    /// Starts timer `timerId` for `object` (QObject::startTimer() calls it).
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    /// Stops timer `timerId`; false if there was none.
    bool unregisterTimer(int timerId) override;
    /// Stops every timer of `object`; false if it had none.
    bool unregisterTimers(QObject *object) override;
    /// The timers of `object`, with their interval and type as kept (a
    /// very coarse one's interval in whole seconds).
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    /// Milliseconds until timer `timerId` is due (0 if overdue), -1 if there
    /// is no such timer.
    int remainingTime(int timerId) override;
    /// Ends a wait, or the next one. From any thread.
    void wakeUp() override;
    /// Makes processEvents() return as soon as it can. From any thread.
    void interrupt() override;
    /// Warns when it is a QGuiApplication's: window system events need Qt's.
    void startingUp() override;

private:
    Q_DECLARE_PRIVATE(EventDispatcher)
    std::unique_ptr<EventDispatcherPrivate> d_ptr;
};

} // namespace canstop
