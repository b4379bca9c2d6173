#include <canstop/lifecyclemanager.h>

#include "lifecyclemanager_p.h"
#include "logging_p.h"

#include <QCoreApplication>
#include <QEvent>
#include <QEventLoop>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace canstop {

namespace {

std::atomic<LifecycleManager *> s_instance{nullptr};

constexpr int StragglersNamed = 20;
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

LifecycleManagerPrivate::LifecycleManagerPrivate(LifecycleManager *q) : q(q) {}

// ---- services ---------------------------------------------------------------

bool LifecycleManagerPrivate::addService(QObject *service, const ServiceOptions &options)
{
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
    if (options.stopTimeout.count() < 0 || restart.window.count() < 0 ||
        restart.backoff.count() < 0 || restart.maxBackoff.count() < 0 || restart.maxRestarts < 0) {
        qCWarning(lcServices, "service \"%ls\" was not added: a timeout or limit is negative",
                  qUtf16Printable(name));
        return false;
    }

    auto *entry = new ServiceEntry(service, options, q);
    services.push_back(entry);
    QObject::connect(entry, &ServiceEntry::runningChanged, q, [this] { countRunningServices(); });
    QObject::connect(entry, &ServiceEntry::ended, q, [this, entry] { serviceEnded(entry); });
    QObject::connect(entry, &ServiceEntry::failed, q,
                     [this, entry](const QString &error) { serviceFailed(entry, error); });
    QObject::connect(entry, &ServiceEntry::restartDue, q, [this, entry] { restartService(entry); });
    countRunningServices();
    qCDebug(lcServices, "service \"%ls\" added", qUtf16Printable(name));
    if (state == State::Running)
        entry->start();
    return true;
}

void LifecycleManagerPrivate::startServices()
{
    if (state != State::Starting)
        return;
    setState(State::Running);
    for (ServiceEntry *entry : services)
        entry->start();
}

void LifecycleManagerPrivate::countRunningServices()
{
    const int running = static_cast<int>(std::count_if(
        services.cbegin(), services.cend(), [](const ServiceEntry *e) { return e->isRunning(); }));
    if (running == runningServices)
        return;
    runningServices = running;
    Q_EMIT q->runningServicesChanged(running);
}

void LifecycleManagerPrivate::serviceEnded(ServiceEntry *entry)
{
    if (entry != stopping)
        return;
    stopping = nullptr;
    waitTimer.stop();
    addServiceReport(entry, ServiceReport::Outcome::Clean);
    stopNextService();
}

void LifecycleManagerPrivate::serviceFailed(ServiceEntry *entry, const QString &error)
{
    const int recent = entry->recordFailure(error);
    if (state == State::Stopping || state == State::Stopped) {
        qCWarning(lcServices, "service \"%ls\" failed during the shutdown: %ls",
                  qUtf16Printable(entry->name()), qUtf16Printable(error));
        return;
    }
    const RestartPolicy &policy = entry->options().restart;
    if (!policy.factory) {
        qCWarning(lcServices,
                  "service \"%ls\" failed: %ls; without a restart policy it stays stopped",
                  qUtf16Printable(entry->name()), qUtf16Printable(error));
        return;
    }
    if (entry->restartsInWindow() >= policy.maxRestarts) {
        giveUp(entry, QStringLiteral("it failed again (%1) after %2 restart(s) within %3 ms")
                          .arg(error)
                          .arg(entry->restartsInWindow())
                          .arg(policy.window.count()));
        return;
    }
    const std::chrono::milliseconds delay = policy.delayAfter(recent);
    qCWarning(lcServices, "service \"%ls\" failed: %ls; restarting in %lld ms",
              qUtf16Printable(entry->name()), qUtf16Printable(error),
              static_cast<long long>(delay.count()));
    entry->scheduleRestart(delay);
}

void LifecycleManagerPrivate::restartService(ServiceEntry *entry)
{
    if (state != State::Running && state != State::Starting)
        return;
    QObject *fresh = entry->options().restart.factory();
    if (const QString why = ServiceEntry::refusal(fresh); !why.isEmpty()) {
        giveUp(entry, QStringLiteral("its restart factory made nothing usable (%1)").arg(why));
        return;
    }
    entry->replace(fresh);
    qCInfo(lcServices, "service \"%ls\" restarted (%d restart(s) so far)",
           qUtf16Printable(entry->name()), entry->restarts());
    if (state == State::Running)
        entry->start();
}

void LifecycleManagerPrivate::giveUp(ServiceEntry *entry, const QString &why)
{
    if (entry->options().restart.shutdownOnGiveUp) {
        qCCritical(lcServices, "giving up on service \"%ls\": %ls; shutting down",
                   qUtf16Printable(entry->name()), qUtf16Printable(why));
        request(1, QStringLiteral("service \"%1\" gave up").arg(entry->name()));
    } else {
        qCCritical(lcServices, "giving up on service \"%ls\": %ls; it stays stopped",
                   qUtf16Printable(entry->name()), qUtf16Printable(why));
    }
}

void LifecycleManagerPrivate::addServiceReport(const ServiceEntry *entry,
                                               ServiceReport::Outcome outcome)
{
    ServiceReport service;
    service.name = entry->name();
    service.outcome = outcome;
    service.stopMs = entry->stopClock.isValid() ? entry->stopClock.elapsed() : 0;
    service.restarts = entry->restarts();
    service.lastError = entry->lastError();
    report.d->services.append(service);
}

// ---- the shutdown sequence --------------------------------------------------

void LifecycleManagerPrivate::request(int exitCode, const QString &why)
{
    if (inert)
        return;
    if (claimed.exchange(true)) {
        qCDebug(lcLifecycle, "shutdown already requested; ignoring \"%ls\"", qUtf16Printable(why));
        return;
    }
    if (QThread::currentThread() == q->thread())
        begin(exitCode, why);
    else
        QMetaObject::invokeMethod(
            q, [this, exitCode, why] { begin(exitCode, why); }, Qt::QueuedConnection);
}

void LifecycleManagerPrivate::begin(int exitCode, const QString &why)
{
    totalClock.start();
    phaseClock.start();
    deadline.setRemainingTime(timeout);
    requestedExitCode = exitCode;
    reason = why;
    report.d->reason = why;
    report.d->startedAt = QDateTime::currentDateTime();

    qCInfo(lcLifecycle,
           "shutdown requested (%ls): %d service(s) running, %d session(s) open, "
           "deadline %lld ms",
           qUtf16Printable(why), runningServices.value(), gate->count(),
           static_cast<long long>(timeout.count()));
    setState(State::Stopping);
    Q_EMIT q->shutdownReasonChanged(why);
    updateRemainingMs();
    remainingTimer.start(RemainingTickMs);
    // Slots in this thread may still start sessions (a final save, a
    // server taking the connections the kernel already accepted); the gate
    // closes once they have returned.
    Q_EMIT q->shutdownRequested(why);
    sessionsAtClose = gate->close();

    // Newest first; the late ones wait for the sessions.
    for (ServiceEntry *entry : services) {
        entry->cancelRestart();
        if (!entry->options().stopAfterSessions)
            stopQueue.push_back(entry);
    }
    enterPhase(Phase::Services);
}

void LifecycleManagerPrivate::enterPhase(Phase next)
{
    report.d->phaseMs[static_cast<size_t>(phase)] = phaseClock.restart();
    phase = next;
    switch (phase) {
    case Phase::Announce:
        break;
    case Phase::Services:
    case Phase::LateServices:
        stopNextService();
        break;
    case Phase::Sessions:
        if (const int asked = gate->requestStop())
            qCDebug(lcSessions, "asked %d session(s) to stop", asked);
        checkSessionsDrained();
        break;
    }
}

void LifecycleManagerPrivate::stopNextService()
{
    while (!stopQueue.empty()) {
        ServiceEntry *entry = stopQueue.back();
        stopQueue.pop_back();
        if (!entry->isRunning() && !entry->lastError().isEmpty()) {
            addServiceReport(entry, ServiceReport::Outcome::Failed);
            continue;
        }
        const qint64 left = remainingDeadlineMs();
        const qint64 own = entry->options().stopTimeout.count();
        const qint64 budget = own > 0 ? std::min(own, left) : left;
        entry->stop();
        if (budget <= 0 && entry->isRunning()) {
            qCWarning(lcServices, "service \"%ls\" was asked to stop after the shutdown deadline",
                      qUtf16Printable(entry->name()));
            addServiceReport(entry, ServiceReport::Outcome::Abandoned);
            continue;
        }
        stopping = entry;
        stoppingBudgetMs = budget;
        waitTimer.start(static_cast<int>(budget));
        return;
    }

    if (phase == Phase::Services) {
        enterPhase(Phase::Sessions);
    } else {
        finish();
    }
}

void LifecycleManagerPrivate::checkSessionsDrained()
{
    if (phase != Phase::Sessions || state != State::Stopping)
        return;
    updateActiveSessions();
    if (activeSessions > 0) {
        if (!waitTimer.isActive())
            waitTimer.start(static_cast<int>(remainingDeadlineMs()));
        return;
    }
    waitTimer.stop();
    report.d->sessionsDrained = sessionsAtClose;
    stopLateServices();
}

void LifecycleManagerPrivate::stopLateServices()
{
    for (ServiceEntry *entry : services) {
        if (entry->options().stopAfterSessions)
            stopQueue.push_back(entry);
    }
    enterPhase(Phase::LateServices);
}

void LifecycleManagerPrivate::waitTimedOut()
{
    if (phase == Phase::Sessions) {
        const int left = gate->count();
        const QStringList names = gate->describe(StragglersNamed);
        report.d->sessionsAbandoned = left;
        report.d->sessionsDrained = std::max(0, sessionsAtClose - left);
        report.d->abandonedSessions = names;
        const QString more = left > names.size()
                                 ? QStringLiteral(" and %1 more").arg(left - names.size())
                                 : QString();
        qCWarning(lcSessions,
                  "%d session(s) still open at the shutdown deadline, abandoned: %ls%ls", left,
                  qUtf16Printable(names.join(QStringLiteral(", "))), qUtf16Printable(more));
        stopLateServices();
        return;
    }
    if (ServiceEntry *entry = std::exchange(stopping, nullptr)) {
        qCWarning(lcServices, "service \"%ls\" did not stop within %lld ms",
                  qUtf16Printable(entry->name()), static_cast<long long>(stoppingBudgetMs));
        addServiceReport(entry, ServiceReport::Outcome::TimedOut);
        stopNextService();
    }
}

void LifecycleManagerPrivate::finish()
{
    report.d->phaseMs[static_cast<size_t>(phase)] = phaseClock.elapsed();
    waitTimer.stop();
    remainingTimer.stop();

    report.d->valid = true;
    report.d->finishedAt = QDateTime::currentDateTime();
    report.d->totalMs = totalClock.elapsed();
    const int exitCode = requestedExitCode != 0 ? requestedExitCode : (report.isClean() ? 0 : 1);
    report.d->exitCode = exitCode;

    if (report.isClean())
        qCInfo(lcLifecycle, "%ls", qUtf16Printable(report.summary()));
    else
        qCWarning(lcLifecycle, "%ls", qUtf16Printable(report.summary()));

    setState(State::Stopped);
    updateRemainingMs();
    Q_EMIT q->shutdownFinished(report);

    if (quitLoop)
        quitLoop->quit();
    if (!autoExit)
        return;

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
    QCoreApplication::exit(exitCode);
}

qint64 LifecycleManagerPrivate::remainingDeadlineMs() const
{
    return std::max<qint64>(0, deadline.remainingTime());
}

QString LifecycleManagerPrivate::pendingDescription() const
{
    QStringList pending;
    if (stopping)
        pending.append(QStringLiteral("service \"%1\"").arg(stopping->name()));
    for (auto it = stopQueue.crbegin(); it != stopQueue.crend(); ++it)
        pending.append(QStringLiteral("service \"%1\"").arg((*it)->name()));
    if (phase != Phase::LateServices) {
        for (ServiceEntry *entry : services) {
            if (entry->options().stopAfterSessions && entry->isRunning())
                pending.append(QStringLiteral("service \"%1\"").arg(entry->name()));
        }
    }
    const int sessions = gate->count();
    if (sessions > 0) {
        pending.append(QStringLiteral("%1 session(s): %2")
                           .arg(sessions)
                           .arg(gate->describe(StragglersNamed).join(QStringLiteral(", "))));
    }
    return pending.isEmpty() ? QStringLiteral("nothing") : pending.join(QStringLiteral("; "));
}

void LifecycleManagerPrivate::escalate(int signalNumber)
{
    const int status = 128 + signalNumber;
    qCCritical(lcSignals, "second %ls during the shutdown: exiting now with %d; still pending: %ls",
               qUtf16Printable(SignalBridge::signalName(signalNumber)), status,
               qUtf16Printable(pendingDescription()));
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(status);
}

void LifecycleManagerPrivate::runQuitSequence()
{
    // exec() has already returned; this is the last chance to run the
    // sequence, so run it here, bounded by the deadline.
    if (state == State::Stopped)
        return;
    request(0, QStringLiteral("application quit"));
    if (state == State::Stopped)
        return;
    QEventLoop loop;
    quitLoop = &loop;
    QTimer::singleShot(remainingDeadlineMs() + 1000, &loop, &QEventLoop::quit);
    loop.exec();
    quitLoop = nullptr;
}

// ---- events -----------------------------------------------------------------

void LifecycleManagerPrivate::onSignal(int signalNumber)
{
    if (signalNumber == SIGINT || signalNumber == SIGTERM) {
        if (state == State::Stopping)
            escalate(signalNumber);
        else if (state != State::Stopped)
            request(0, SignalBridge::signalName(signalNumber));
    } else if (signalNumber == SIGHUP) {
        qCInfo(lcSignals, "SIGHUP: reload requested");
        Q_EMIT q->reloadRequested();
    } else {
        Q_EMIT q->signalReceived(signalNumber);
    }
}

void LifecycleManagerPrivate::onSessionsChanged()
{
    gate->acknowledgeChange();
    updateActiveSessions();
    checkSessionsDrained();
}

void LifecycleManagerPrivate::updateActiveSessions()
{
    const int count = gate->count();
    if (count == activeSessions)
        return;
    activeSessions = count;
    Q_EMIT q->activeSessionsChanged(count);
}

void LifecycleManagerPrivate::setState(State next)
{
    if (state == next)
        return;
    state = next;
    Q_EMIT q->stateChanged(next);
    const bool stopping = next == State::Stopping || next == State::Stopped;
    if (shuttingDown != stopping) {
        shuttingDown = stopping;
        Q_EMIT q->shuttingDownChanged(stopping);
    }
}

void LifecycleManagerPrivate::updateRemainingMs()
{
    int ms = 0;
    switch (state.value()) {
    case State::Starting:
    case State::Running:
        ms = -1;
        break;
    case State::Stopping:
        ms = static_cast<int>(remainingDeadlineMs());
        break;
    case State::Stopped:
        break;
    }
    if (remainingMs == ms)
        return;
    remainingMs = ms;
    Q_EMIT q->remainingMsChanged(ms);
}

// ---- LifecycleManager -------------------------------------------------------

LifecycleManager::LifecycleManager(QObject *parent)
    : QObject(parent), d(std::make_unique<LifecycleManagerPrivate>(this))
{
    d->gate = std::make_shared<SessionGate>();
    QCoreApplication *app = QCoreApplication::instance();
    if (!app) {
        d->inert = true;
        qCCritical(lcLifecycle,
                   "LifecycleManager made before the QCoreApplication: it will do nothing");
        return;
    }

    LifecycleManager *none = nullptr;
    s_instance.compare_exchange_strong(none, this);

    d->gate->setOnChange([this] {
        QMetaObject::invokeMethod(
            this, [this] { d->onSessionsChanged(); }, Qt::QueuedConnection);
    });
    d->waitTimer.setSingleShot(true);
    d->waitTimer.setTimerType(Qt::PreciseTimer);
    connect(&d->waitTimer, &QTimer::timeout, this, [this] { d->waitTimedOut(); });
    connect(&d->remainingTimer, &QTimer::timeout, this, [this] { d->updateRemainingMs(); });

    d->quitInterceptor = std::make_unique<QuitInterceptor>(d.get());
    app->installEventFilter(d->quitInterceptor.get());
    connect(app, &QCoreApplication::aboutToQuit, this, [this] { d->runQuitSequence(); });

    // Everything registered before the event loop runs starts together.
    QMetaObject::invokeMethod(
        this, [this] { d->startServices(); }, Qt::QueuedConnection);
}

LifecycleManager::~LifecycleManager()
{
    d->gate->setOnChange({});
    LifecycleManager *self = this;
    s_instance.compare_exchange_strong(self, nullptr);
}

LifecycleManager *LifecycleManager::instance()
{
    if (LifecycleManager *manager = s_instance.load())
        return manager;
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread())
        return nullptr;
    return new LifecycleManager(app);
}

bool LifecycleManager::watchSignals()
{
    return watchSignals({SIGINT, SIGTERM, SIGHUP});
}

bool LifecycleManager::watchSignals(const QList<int> &signalNumbers)
{
    if (d->inert)
        return false;
    if (d->bridge) {
        qCWarning(lcSignals, "this manager already watches signals");
        return false;
    }
    auto bridge = std::make_unique<SignalBridge>();
    if (!bridge->install(signalNumbers))
        return false;
    d->bridge = std::move(bridge);
    connect(d->bridge.get(), &SignalBridge::signalCaught, this,
            [this](int signalNumber) { d->onSignal(signalNumber); });
    return true;
}

bool LifecycleManager::setShutdownTimeout(std::chrono::milliseconds timeout)
{
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
    Q_EMIT shutdownTimeoutChanged(shutdownTimeoutMs());
    return true;
}

std::chrono::milliseconds LifecycleManager::shutdownTimeout() const
{
    return d->timeout;
}

int LifecycleManager::shutdownTimeoutMs() const
{
    return static_cast<int>(d->timeout.count());
}

void LifecycleManager::setShutdownTimeoutMs(int timeoutMs)
{
    setShutdownTimeout(std::chrono::milliseconds(timeoutMs));
}

bool LifecycleManager::autoExit() const
{
    return d->autoExit;
}

void LifecycleManager::setAutoExit(bool enabled)
{
    if (d->autoExit == enabled)
        return;
    d->autoExit = enabled;
    Q_EMIT autoExitChanged(enabled);
}

bool LifecycleManager::addService(QObject *service, const ServiceOptions &options)
{
    return d->addService(service, options);
}

bool LifecycleManager::addService(QThread *thread, const ServiceOptions &options)
{
    return d->addService(thread, options);
}

bool LifecycleManager::trackSession(QObject *session)
{
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
        qCWarning(lcSessions, "trackSession(): %s refused: the shutdown has begun",
                  session->metaObject()->className());
        return false;
    }
    return false;
}

SessionToken LifecycleManager::holdSession(const QString &what)
{
    if (d->inert)
        return {};
    const quint64 id = d->gate->hold(what);
    if (id == 0) {
        qCWarning(lcSessions, "holdSession(\"%ls\") refused: the shutdown has begun",
                  qUtf16Printable(what));
        return {};
    }
    return SessionToken(d->gate, id);
}

LifecycleManager::State LifecycleManager::state() const
{
    return d->state;
}

bool LifecycleManager::isShuttingDown() const
{
    return d->shuttingDown;
}

int LifecycleManager::activeSessions() const
{
    return d->activeSessions;
}

int LifecycleManager::runningServices() const
{
    return d->runningServices;
}

QString LifecycleManager::shutdownReason() const
{
    return d->reason;
}

int LifecycleManager::remainingMs() const
{
    return d->remainingMs;
}

QBindable<LifecycleManager::State> LifecycleManager::bindableState()
{
    return &d->state;
}

QBindable<bool> LifecycleManager::bindableShuttingDown()
{
    return &d->shuttingDown;
}

QBindable<int> LifecycleManager::bindableActiveSessions()
{
    return &d->activeSessions;
}

QBindable<int> LifecycleManager::bindableRunningServices()
{
    return &d->runningServices;
}

QBindable<QString> LifecycleManager::bindableShutdownReason()
{
    return &d->reason;
}

QBindable<int> LifecycleManager::bindableRemainingMs()
{
    return &d->remainingMs;
}

ShutdownReport LifecycleManager::report() const
{
    return d->report.isValid() ? d->report : ShutdownReport();
}

void LifecycleManager::requestShutdown(int exitCode)
{
    d->request(exitCode, QStringLiteral("requested"));
}

void LifecycleManager::requestShutdownWithReason(const QString &reason, int exitCode)
{
    d->request(exitCode, reason);
}

} // namespace canstop
