// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/lifecyclemanager.h>

#include "lifecyclemanager_p.h"
#include "logging_p.h"
#include "queuedcall_p.h"

#include <QCoreApplication>
#include <QEvent>
#include <QEventLoop>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace canstop {

namespace {

std::atomic<LifecycleManager *> s_instance{nullptr};
std::atomic<bool> s_instanceImplicit{false}; // made by instance(), not by the application

constexpr int RemainingTickMs = 250;

// Turns QCoreApplication::quit() (a Quit menu, the last window closing) into
// the shutdown sequence, which then ends with QCoreApplication::exit() itself.
class QuitInterceptor : public QObject
{
public:
    explicit QuitInterceptor(LifecycleManagerPrivate *d) : m_d(d) {}

    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() != QEvent::Quit || watched != QCoreApplication::instance() ||
            !m_d->autoExit || m_d->state == LifecycleManager::State::Stopped)
            return false;
        m_d->request(0, QStringLiteral("application quit"));
        return true;
    }

private:
    LifecycleManagerPrivate *const m_d;
};

} // namespace

LifecycleManagerPrivate::LifecycleManagerPrivate(LifecycleManager *manager)
    : q_ptr(manager), gate(std::make_shared<SessionGate>()), sequence(gate),
      hardStop([this] { return sequence.pendingDescription(); })
{}

bool LifecycleManagerPrivate::isInManagerThread() const
{
    return QThread::currentThread() == q_ptr->thread();
}

// ---- services ---------------------------------------------------------------

bool LifecycleManagerPrivate::addService(QObject *service, const ServiceOptions &options)
{
    Q_Q(LifecycleManager);
    if (inert)
        return false;
    if (const QString why = ServiceEntry::refusal(service); !why.isEmpty()) {
        qCWarning(lcServices, "addService(): %ls", qUtf16Printable(why));
        return false;
    }
    const QString name = ServiceEntry::nameFor(service, options);
    if (state == State::Stopping || state == State::Stopped) {
        qCWarning(lcServices, "service \"%ls\" was not added: the shutdown has already begun",
                  qUtf16Printable(name));
        return false;
    }
    if (std::any_of(services.cbegin(), services.cend(),
                    [service](const ServiceEntry *entry) { return entry->service() == service; })) {
        qCWarning(lcServices, "service \"%ls\" was not added: it is already a service",
                  qUtf16Printable(name));
        return false;
    }
    const RestartPolicy &restart = options.restart;
    const auto durations = {options.stopTimeout, restart.window, restart.backoff,
                            restart.maxBackoff};
    if (restart.maxRestarts < 0 ||
        std::any_of(durations.begin(), durations.end(), [](std::chrono::milliseconds ms) {
            return ms.count() < 0 || ms.count() > std::numeric_limits<int>::max();
        })) {
        qCWarning(lcServices,
                  "service \"%ls\" was not added: a timeout or limit is negative or longer "
                  "than %d ms",
                  qUtf16Printable(name), std::numeric_limits<int>::max());
        return false;
    }

    auto *entry = new ServiceEntry(service, options, q);
    services.push_back(entry);
    QObject::connect(entry, &ServiceEntry::runningChanged, q, [this] { countRunningServices(); });
    QObject::connect(entry, &ServiceEntry::ended, q,
                     [this, entry] { sequence.serviceEnded(entry); });
    QObject::connect(entry, &ServiceEntry::gaveUp, q, [this, entry] {
        request(1, QStringLiteral("service \"%1\" gave up").arg(entry->name()));
    });
    countRunningServices();
    qCDebug(lcServices, "service \"%ls\" added", qUtf16Printable(name));
    if (state == State::Running)
        entry->start();
    return true;
}

void LifecycleManagerPrivate::startServices()
{
    Q_Q(LifecycleManager);
    if (state != State::Starting)
        return;
    state = State::Running;
    Q_EMIT q->stateChanged(State::Running, {});
    for (ServiceEntry *entry : services)
        entry->start();
    updateReady();
}

void LifecycleManagerPrivate::countRunningServices()
{
    Q_Q(LifecycleManager);
    const int running = static_cast<int>(std::count_if(
        services.cbegin(), services.cend(), [](const ServiceEntry *e) { return e->isRunning(); }));
    if (running == runningServices)
        return;
    const bool fewer = running < runningServices;
    runningServices = running;
    Q_EMIT q->runningServicesChanged(running, {});
    tellSystemdCountsChanged(fewer);
}

// A count that falls during a drain is progress, for EXTEND_TIMEOUT_USEC.
void LifecycleManagerPrivate::tellSystemdCountsChanged(bool fewer)
{
    if (!systemd)
        return;
    if (fewer)
        systemd->progress();
    systemd->statusChanged();
}

// ---- the shutdown -----------------------------------------------------------

void LifecycleManagerPrivate::request(int exitCode, const QString &why)
{
    if (inert)
        return;
    if (claimed.exchange(true)) {
        qCDebug(lcLifecycle, "shutdown already requested; ignoring \"%ls\"", qUtf16Printable(why));
        return;
    }
    Q_Q(LifecycleManager);
    if (isInManagerThread())
        begin(exitCode, why);
    else
        postCall(q, [this, exitCode, why] { begin(exitCode, why); });
}

// Step 1, the announcement: every property holds its new value before any
// change signal goes out; slots of shutdownRequested() may still start
// sessions (a final save, a server taking its kernel backlog), and then the
// sequence closes the gate.
void LifecycleManagerPrivate::begin(int exitCode, const QString &why)
{
    Q_Q(LifecycleManager);
    deadline = hardStop.begin();
    qCInfo(lcLifecycle,
           "shutdown requested (%ls): %d service(s) running, %d session(s) open, "
           "deadline %lld ms",
           qUtf16Printable(why), runningServices.value(), gate->count(),
           static_cast<long long>(deadline.remainingTime()));
    const State before = state;
    const bool wasReady = ready;
    const int ms = static_cast<int>(std::max<qint64>(0, deadline.remainingTime()));
    readyNow = false;
    Qt::beginPropertyUpdateGroup();
    state = State::Stopping;
    shuttingDown = true;
    ready = false;
    reason = why;
    remainingMs = ms;
    Qt::endPropertyUpdateGroup();
    if (before != State::Stopping)
        Q_EMIT q->stateChanged(State::Stopping, {});
    Q_EMIT q->shuttingDownChanged(true, {});
    if (wasReady)
        Q_EMIT q->readyChanged(false, {});
    Q_EMIT q->shutdownReasonChanged(why, {});
    Q_EMIT q->remainingMsChanged(ms, {});
    remainingTimer.start(RemainingTickMs);
    if (systemd)
        systemd->stopping(deadline, QStringLiteral("stopping (%1)").arg(why));
    const auto delay = std::min(
        lameDuck, std::chrono::milliseconds(std::max<qint64>(0, deadline.remainingTime())));
    if (delay.count() > 0) {
        qCInfo(lcLifecycle, "lame duck: serving on for %lld ms before the drain",
               static_cast<long long>(delay.count()));
        hardStop.setLameDuck(true,
                             [this] { postCall(q_ptr, [this] { sequence.skipLameDuck(); }); });
    }
    Q_EMIT q->shutdownRequested(why, {});
    sequence.begin(why, exitCode, deadline, services, delay);
}

// Step 5, after the sequence's report.
void LifecycleManagerPrivate::finished(const ShutdownReport &report)
{
    Q_Q(LifecycleManager);
    hardStop.finished();
    remainingTimer.stop();
    if (systemd)
        systemd->finished(report.summary());
    updateActiveSessions(); // the count the sequence ended on, not a queued one
    if (const int refused = refusals.load(); refused > 1)
        qCWarning(lcSessions, "%d session(s) in all were refused after the shutdown began",
                  refused);
    Qt::beginPropertyUpdateGroup();
    state = State::Stopped;
    remainingMs = 0;
    Qt::endPropertyUpdateGroup();
    Q_EMIT q->stateChanged(State::Stopped, {});
    Q_EMIT q->remainingMsChanged(0, {});
    Q_EMIT q->shutdownFinished(report, {});

    if (quitLoop)
        quitLoop->quit();
    if (!autoExit)
        return;
    const int exitCode = report.exitCode();
    // A QThread still running cannot be destroyed (Qt aborts), and its owner
    // will try once exec() returns: end the process here instead.
    for (const ServiceEntry *entry : services) {
        if (entry->thread() && entry->isRunning()) {
            qCWarning(lcServices,
                      "thread \"%ls\" is still running: exiting with %d without cleanup",
                      qUtf16Printable(entry->name()), exitCode);
            std::fflush(stdout);
            std::fflush(stderr);
            ::_exit(exitCode);
        }
    }
    if (quitLoop)
        return; // exec() has returned already
    // Before exec() runs, exit() would reach no event loop: post it.
    if (q->thread()->loopLevel() > 0)
        QCoreApplication::exit(exitCode);
    else
        QMetaObject::invokeMethod(
            QCoreApplication::instance(), [exitCode] { QCoreApplication::exit(exitCode); },
            Qt::QueuedConnection);
}

void LifecycleManagerPrivate::runQuitSequence()
{
    // exec() has already returned; this is the last chance to run the
    // sequence, so run it here, bounded by the deadline.
    if (state == State::Stopped)
        return;
    // exec() returned the code given to exit(), whatever the report will
    // say; exitCode() reconciles the two.
    execResultUnreconciled = true;
    request(0, QStringLiteral("application quit"));
    if (state == State::Stopped)
        return;
    QEventLoop loop;
    quitLoop = &loop;
    QTimer::singleShot(std::max<qint64>(0, deadline.remainingTime()) + 1000, &loop,
                       &QEventLoop::quit);
    loop.exec();
    quitLoop = nullptr;
}

// ---- events -----------------------------------------------------------------

void LifecycleManagerPrivate::onSignal(int signalNumber)
{
    Q_Q(LifecycleManager);
    if (signalNumber == SIGINT || signalNumber == SIGTERM) {
        // During and after a shutdown the hard stop decides, in its own thread.
        if (state == State::Starting || state == State::Running)
            request(0, SignalBridge::signalName(signalNumber));
    } else if (signalNumber == SIGHUP) {
        qCInfo(lcSignals, "SIGHUP: reload requested");
        reload();
    } else {
        Q_EMIT q->signalReceived(signalNumber, {});
    }
}

// Readiness falls while the slots of reloadRequested() run, and returns
// when they have, unless one of them holds it for a reload still under way.
void LifecycleManagerPrivate::reload()
{
    Q_Q(LifecycleManager);
    const bool running = state == State::Running;
    if (running) {
        reloading = true;
        updateReady();
        if (systemd)
            systemd->reloading();
    }
    Q_EMIT q->reloadRequested({});
    if (running) {
        reloading = false;
        updateReady();
    }
}

void LifecycleManagerPrivate::updateReady()
{
    Q_Q(LifecycleManager);
    const bool now = state == State::Running && readinessHolds.isEmpty() && !reloading;
    if (now == ready)
        return;
    ready = now;
    readyNow = now;
    Q_EMIT q->readyChanged(now, {});
    if (systemd) {
        if (now)
            systemd->ready();
        else
            systemd->statusChanged();
    }
}

QString LifecycleManagerPrivate::statusLine() const
{
    switch (state.value()) {
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        if (reloading)
            return QStringLiteral("reloading");
        if (!readinessHolds.isEmpty())
            return QStringLiteral("not ready: %1").arg(readinessHolds.join(QStringLiteral(", ")));
        return QStringLiteral("running: %1 service(s), %2 session(s)")
            .arg(runningServices.value())
            .arg(gate->count());
    case State::Stopping:
        return QStringLiteral("stopping (%1), %2 s left; waiting for %3")
            .arg(reason.value())
            .arg((std::max<qint64>(0, deadline.remainingTime()) + 999) / 1000)
            .arg(sequence.pendingDescription());
    case State::Stopped:
        break;
    }
    return sequence.report().summary();
}

void LifecycleManagerPrivate::onSessionsChanged()
{
    gate->acknowledgeChange();
    updateActiveSessions();
    sequence.sessionsChanged();
}

void LifecycleManagerPrivate::updateActiveSessions()
{
    Q_Q(LifecycleManager);
    const int count = gate->count();
    const int before = activeSessions.valueBypassingBindings();
    if (count == before)
        return;
    const bool fewer = count < before;
    activeSessions = count;
    Q_EMIT q->activeSessionsChanged(count, {});
    tellSystemdCountsChanged(fewer);
}

void LifecycleManagerPrivate::updateRemainingMs()
{
    Q_Q(LifecycleManager);
    const int ms = static_cast<int>(std::max<qint64>(0, deadline.remainingTime()));
    if (state != State::Stopping || remainingMs == ms)
        return;
    remainingMs = ms;
    Q_EMIT q->remainingMsChanged(ms, {});
    if (systemd)
        systemd->statusChanged();
}

// ---- LifecycleManager -------------------------------------------------------

LifecycleManager::LifecycleManager(QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<LifecycleManagerPrivate>(this))
{
    Q_D(LifecycleManager);
    QCoreApplication *app = QCoreApplication::instance();
    if (!app) {
        d->inert = true;
        qCCritical(lcLifecycle,
                   "LifecycleManager made before the QCoreApplication: it will do nothing");
        return;
    }

    if (s_instance.load() && s_instanceImplicit.load()) {
        // Two managers would run two shutdowns; the one already there has
        // the sessions of whatever needed it first.
        d->inert = true;
        qCWarning(lcLifecycle,
                  "this LifecycleManager does nothing: LifecycleManager::instance() already made "
                  "the application's manager, for something that needed one before this one "
                  "existed (the QML singleton Lifecycle); make the LifecycleManager first");
        return;
    }
    LifecycleManager *none = nullptr;
    s_instance.compare_exchange_strong(none, this);

    d->gate->setOnChange([this] { postCall(this, [this] { d_func()->onSessionsChanged(); }); },
                         [d] {
                             // A drain hears of it in a turn of its own, not
                             // inside whatever ended the session.
                             const bool draining =
                                 d->state.valueBypassingBindings() == State::Stopping;
                             d->updateActiveSessions();
                             return !draining;
                         });
    connect(&d->sequence, &ShutdownSequence::drainStarted, this, [this, d] {
        d->hardStop.setLameDuck(false);
        Q_EMIT drainStarted({});
    });
    connect(&d->sequence, &ShutdownSequence::finished, this,
            [d](const ShutdownReport &report) { d->finished(report); });
    connect(&d->remainingTimer, &QTimer::timeout, this, [d] { d->updateRemainingMs(); });

    d->quitInterceptor = std::make_unique<QuitInterceptor>(d);
    app->installEventFilter(d->quitInterceptor.get());
    connect(app, &QCoreApplication::aboutToQuit, this, [d] { d->runQuitSequence(); });

    // Everything registered before the event loop runs starts together.
    QMetaObject::invokeMethod(
        this, [d] { d->startServices(); }, Qt::QueuedConnection);
}

LifecycleManager::~LifecycleManager()
{
    Q_D(LifecycleManager);
    d->gate->setOnChange({});
    d->gate->detach();
    if (d->state == State::Stopping) {
        qCCritical(lcLifecycle,
                   "LifecycleManager destroyed during its shutdown; still pending: %ls",
                   qUtf16Printable(d->sequence.pendingDescription()));
        if (d->autoExit && d->quitLoop == nullptr)
            QCoreApplication::exit(1);
    }
    if (d->execResultUnreconciled && d->sequence.report().exitCode() != 0) {
        qCWarning(lcLifecycle,
                  "QCoreApplication::exit() was called directly, so exec() returned its code, not "
                  "this shutdown's %d; return LifecycleManager::exitCode(app.exec()) from main() "
                  "to exit with it",
                  d->sequence.report().exitCode());
    }
    // The entries go while the sequence and the hard stop they report to exist.
    qDeleteAll(d->services);
    d->services.clear();
    LifecycleManager *self = this;
    if (s_instance.compare_exchange_strong(self, nullptr))
        s_instanceImplicit = false;
}

LifecycleManager *LifecycleManager::instance()
{
    if (LifecycleManager *manager = s_instance.load())
        return manager;
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread())
        return nullptr;
    auto *made = new LifecycleManager(app);
    s_instanceImplicit = s_instance.load() == made;
    return made;
}

bool LifecycleManager::useSystemd()
{
    Q_D(LifecycleManager);
    if (d->inert)
        return false;
    if (d->systemd)
        return true;
    d->systemd = SystemdNotifier::fromEnvironment([d] { return d->statusLine(); }, this);
    if (!d->systemd)
        return false;
    if (d->ready)
        d->systemd->ready();
    else if (d->state == State::Stopping)
        d->systemd->stopping(d->deadline, d->statusLine());
    return true;
}

bool LifecycleManager::storeFileDescriptor(int fd, const QString &name)
{
    Q_D(LifecycleManager);
    if (!d->systemd) {
        qCDebug(lcSystemd, "not storing \"%ls\": not started by systemd", qUtf16Printable(name));
        return false;
    }
    const bool nameFits = !name.isEmpty() && name.size() <= 255 &&
                          std::all_of(name.cbegin(), name.cend(), [](QChar c) {
                              return c.unicode() > 0x20 && c.unicode() < 0x7f && c != u':';
                          });
    if (!nameFits || fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
        qCWarning(lcSystemd, "storeFileDescriptor(%d, \"%ls\"): refused: %s", fd,
                  qUtf16Printable(name),
                  nameFits ? "the descriptor is not open"
                           : "a name is 1 to 255 printable ASCII characters, without "
                             "spaces or ':'");
        return false;
    }
    return d->systemd->store(fd, name);
}

bool LifecycleManager::watchSignals()
{
    return watchSignals({SIGINT, SIGTERM, SIGHUP});
}

bool LifecycleManager::watchSignals(const QList<int> &signalNumbers)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::watchSignals", "wrong thread");
    if (d->inert)
        return false;
    if (d->bridge) {
        qCWarning(lcSignals, "this manager already watches signals");
        return false;
    }
    auto bridge = std::make_unique<SignalBridge>();
    if (!bridge->install(signalNumbers) || !d->hardStop.receiveSignals())
        return false;
    d->bridge = std::move(bridge);
    connect(d->bridge.get(), &SignalBridge::signalCaught, this,
            [d](int signalNumber) { d->onSignal(signalNumber); });
    return true;
}

bool LifecycleManager::setShutdownTimeout(std::chrono::milliseconds timeout)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::setShutdownTimeout", "wrong thread");
    if (timeout.count() <= 0) {
        qCWarning(lcLifecycle, "shutdown timeout of %lld ms refused: it must be positive",
                  static_cast<long long>(timeout.count()));
        return false;
    }
    if (timeout.count() > std::numeric_limits<int>::max()) {
        qCWarning(lcLifecycle, "shutdown timeout of %lld ms refused: it is longer than %d ms",
                  static_cast<long long>(timeout.count()), std::numeric_limits<int>::max());
        return false;
    }
    if (d->state == State::Stopping || d->state == State::Stopped) {
        qCWarning(lcLifecycle, "shutdown timeout not changed: the shutdown has already begun");
        return false;
    }
    if (timeout == d->timeout)
        return true;
    d->timeout = timeout;
    d->hardStop.setTimeout(timeout);
    Q_EMIT shutdownTimeoutChanged(shutdownTimeoutMs(), {});
    return true;
}

std::chrono::milliseconds LifecycleManager::shutdownTimeout() const
{
    Q_D(const LifecycleManager);
    return d->timeout;
}

int LifecycleManager::shutdownTimeoutMs() const
{
    return static_cast<int>(shutdownTimeout().count());
}

void LifecycleManager::setShutdownTimeoutMs(int timeoutMs)
{
    setShutdownTimeout(std::chrono::milliseconds(timeoutMs));
}

bool LifecycleManager::autoExit() const
{
    Q_D(const LifecycleManager);
    return d->autoExit;
}

void LifecycleManager::setAutoExit(bool enabled)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::setAutoExit", "wrong thread");
    if (d->autoExit == enabled)
        return;
    d->autoExit = enabled;
    Q_EMIT autoExitChanged(enabled, {});
}

bool LifecycleManager::addService(QObject *service, const ServiceOptions &options)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::addService", "wrong thread");
    return d->addService(service, options);
}

bool LifecycleManager::addService(QThread *thread, const ServiceOptions &options)
{
    return addService(static_cast<QObject *>(thread), options);
}

bool LifecycleManager::trackSession(QObject *session)
{
    Q_D(LifecycleManager);
    if (d->inert)
        return false;
    if (!session) {
        qCWarning(lcSessions, "trackSession(): the session is null");
        return false;
    }
    switch (d->gate->track(session)) {
    case SessionGate::TrackResult::Tracked:
    case SessionGate::TrackResult::AlreadyTracked:
        return true;
    case SessionGate::TrackResult::Closed:
        if (d->refusals.fetch_add(1) == 0)
            qCWarning(lcSessions,
                      "trackSession(): %s refused: the shutdown has begun (further refusals "
                      "are counted, not logged)",
                      session->metaObject()->className());
        return false;
    }
    return false;
}

SessionToken LifecycleManager::holdSession(const QString &what)
{
    Q_D(LifecycleManager);
    if (d->inert)
        return {};
    const quint64 id = d->gate->hold(what);
    if (id == 0) {
        if (d->refusals.fetch_add(1) == 0)
            qCWarning(lcSessions,
                      "holdSession(\"%ls\") refused: the shutdown has begun (further refusals "
                      "are counted, not logged)",
                      qUtf16Printable(what));
        return {};
    }
    return SessionToken(d->gate, id);
}

LifecycleManager::State LifecycleManager::state() const
{
    Q_D(const LifecycleManager);
    return d->state;
}

bool LifecycleManager::isShuttingDown() const
{
    Q_D(const LifecycleManager);
    return d->shuttingDown;
}

int LifecycleManager::activeSessions() const
{
    Q_D(const LifecycleManager);
    return d->gate->count();
}

int LifecycleManager::runningServices() const
{
    Q_D(const LifecycleManager);
    return d->runningServices;
}

QString LifecycleManager::shutdownReason() const
{
    Q_D(const LifecycleManager);
    return d->reason;
}

int LifecycleManager::remainingMs() const
{
    Q_D(const LifecycleManager);
    return d->remainingMs;
}

QDeadlineTimer LifecycleManager::shutdownDeadline() const
{
    Q_D(const LifecycleManager);
    return d->deadline;
}

// Made from const properties, so setValue() and setBinding() do nothing.
QBindable<LifecycleManager::State> LifecycleManager::bindableState()
{
    Q_D(const LifecycleManager);
    return &d->state;
}

QBindable<bool> LifecycleManager::bindableShuttingDown()
{
    Q_D(const LifecycleManager);
    return &d->shuttingDown;
}

QBindable<int> LifecycleManager::bindableActiveSessions()
{
    Q_D(const LifecycleManager);
    return &d->activeSessions;
}

QBindable<int> LifecycleManager::bindableRunningServices()
{
    Q_D(const LifecycleManager);
    return &d->runningServices;
}

QBindable<QString> LifecycleManager::bindableShutdownReason()
{
    Q_D(const LifecycleManager);
    return &d->reason;
}

QBindable<int> LifecycleManager::bindableRemainingMs()
{
    Q_D(const LifecycleManager);
    return &d->remainingMs;
}

QBindable<bool> LifecycleManager::bindableReady()
{
    Q_D(const LifecycleManager);
    return &d->ready;
}

bool LifecycleManager::isReady() const
{
    Q_D(const LifecycleManager);
    return d->readyNow && !d->hardStop.terminationSignalled();
}

bool LifecycleManager::setLameDuck(std::chrono::milliseconds delay)
{
    Q_D(LifecycleManager);
    if (delay.count() < 0 || delay.count() > std::numeric_limits<int>::max() ||
        d->state == State::Stopping || d->state == State::Stopped) {
        qCWarning(lcLifecycle,
                  "setLameDuck(%lld ms): refused: it is 0 to %d ms, set before a shutdown",
                  static_cast<long long>(delay.count()), std::numeric_limits<int>::max());
        return false;
    }
    d->lameDuck = delay;
    return true;
}

std::chrono::milliseconds LifecycleManager::lameDuck() const
{
    Q_D(const LifecycleManager);
    return d->lameDuck;
}

bool LifecycleManager::holdReadiness(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT(d->isInManagerThread());
    if (what.isEmpty()) {
        qCWarning(lcLifecycle, "holdReadiness(): refused: say what holds it");
        return false;
    }
    d->readinessHolds.append(what);
    d->updateReady();
    if (d->systemd)
        d->systemd->statusChanged();
    return true;
}

bool LifecycleManager::releaseReadiness(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT(d->isInManagerThread());
    if (!d->readinessHolds.removeOne(what)) {
        qCWarning(lcLifecycle, "releaseReadiness(\"%ls\"): refused: nothing by that name holds it",
                  qUtf16Printable(what));
        return false;
    }
    d->updateReady();
    if (d->systemd)
        d->systemd->statusChanged();
    return true;
}

ShutdownReport LifecycleManager::report() const
{
    Q_D(const LifecycleManager);
    return d->sequence.report().isValid() ? d->sequence.report() : ShutdownReport();
}

int LifecycleManager::exitCode(int execResult) const
{
    Q_D(const LifecycleManager);
    d->execResultUnreconciled = false;
    const ShutdownReport &report = d->sequence.report();
    if (!report.isValid() || execResult != 0)
        return execResult;
    return report.exitCode();
}

void LifecycleManager::requestShutdown(int exitCode)
{
    Q_D(LifecycleManager);
    d->request(exitCode, QStringLiteral("requested"));
}

void LifecycleManager::requestShutdownWithReason(const QString &reason, int exitCode)
{
    Q_D(LifecycleManager);
    d->request(exitCode, reason);
}

} // namespace canstop
