// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/lifecyclemanager.h>

#include "applicationmanager_p.h"
#include "journalstream_p.h"
#include "lifecyclemanager_p.h"
#include "logging_p.h"
#include "pidfile_p.h"
#include "queuedcall_p.h"
#include "trackedfuture_p.h"

#include <QCoreApplication>
#include <QMetaEnum>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <utility>

namespace canstop {

LifecycleManagerPrivate::LifecycleManagerPrivate(LifecycleManager *manager)
    : q_ptr(manager), gate(std::make_shared<SessionGate>()), sequence(gate),
      hardStop([this] { return sequence.pendingDescription(); },
               [report = reportFile](int exitCode, const QString &message) {
                   report->writeHardStop(exitCode, message);
                   HardStop::exitNow(exitCode, message);
               }),
      readiness([this] { return hardStop.terminationSignalled(); }), exitPath([this] {
          request(0, QStringLiteral("application quit"));
          return deadline;
      }),
      metrics(LifecycleMetrics::keys(QMetaEnum::fromType<State>()),
              LifecycleMetrics::keys(QMetaEnum::fromType<ShutdownReport::Phase>()))
{}

bool LifecycleManagerPrivate::shutdownBegun() const
{
    return state == State::Stopping || state == State::Stopped;
}

std::optional<int> LifecycleManagerPrivate::reportCode() const
{
    const ShutdownReport &report = sequence.report();
    return report.isValid() ? std::optional<int>(report.exitCode()) : std::nullopt;
}

bool LifecycleManagerPrivate::isInManagerThread() const
{
    return QThread::currentThread() == q_ptr->thread();
}

void LifecycleManagerPrivate::publishMetrics()
{
    LifecycleMetrics::Snapshot snapshot;
    snapshot.state = int(state.valueBypassingBindings());
    snapshot.runningServices = runningServices.valueBypassingBindings();
    for (const ServiceEntry *entry : services.entries())
        snapshot.services.push_back({entry->name(), entry->restarts(), entry->failures()});
    snapshot.deadlineNs = deadline.isForever() ? -1 : deadline.deadlineNSecs();
    const QMetaEnum steps = QMetaEnum::fromType<ShutdownSequence::Step>();
    if (const QByteArray step = LifecycleMetrics::snakeCase(steps.valueToKey(int(sequence.step())));
        metrics.isPhase(step))
        snapshot.phase = step;
    if (const ShutdownReport &report = sequence.report(); report.isValid()) {
        const QMetaEnum phases = QMetaEnum::fromType<ShutdownReport::Phase>();
        for (int i = 0; i < phases.keyCount(); ++i)
            snapshot.phaseMs.append({LifecycleMetrics::snakeCase(phases.key(i)),
                                     report.phaseMs(ShutdownReport::Phase(phases.value(i)))});
        snapshot.sessionsDrained = report.sessionsDrained();
        snapshot.sessionsAbandoned = report.sessionsAbandoned();
    }
    metrics.publish(std::move(snapshot));
}

// ---- services ---------------------------------------------------------------

void LifecycleManagerPrivate::startServices()
{
    Q_Q(LifecycleManager);
    if (state != State::Starting)
        return;
    state = State::Running;
    Q_EMIT q->stateChanged(State::Running, {});
    services.startAll();
    readiness.started();
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
    stopSource.requestStop(); // in this thread, before the manager's can run
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
    sequence.announcing();
    qCInfo(lcLifecycle,
           "shutdown requested (%ls): %d service(s) running, %d session(s) open, "
           "deadline %lld ms",
           qUtf16Printable(why), runningServices.value(), gate->count(),
           static_cast<long long>(deadline.remainingTime()));
    const State before = state;
    const int ms = static_cast<int>(std::max<qint64>(0, deadline.remainingTime()));
    Qt::beginPropertyUpdateGroup();
    state = State::Stopping;
    shuttingDown = true;
    const bool wasReady = readiness.stop();
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
    remainingTimer.start(RemainingTick);
    if (upgradeLaunch.isLaunching()) {
        qCInfo(lcLifecycle, "upgrade abandoned: the shutdown has begun; pid %lld is killed",
               static_cast<long long>(upgradeLaunch.pid()));
        upgradeLaunch.abandon();
    }
    services.close();
    if (const auto delay = std::min(sequence.lameDuck(), std::chrono::milliseconds(ms));
        delay.count() > 0) {
        qCInfo(lcLifecycle, "lame duck: serving on for %lld ms before the drain",
               static_cast<long long>(delay.count()));
        hardStop.setLameDuck(true,
                             [this] { postCall(q_ptr, [this] { sequence.skipLameDuck(); }); });
    }
    Q_EMIT q->shutdownRequested(why, {});
    sequence.begin(why, exitCode, deadline, services.entries());
}

// Step 5, after the sequence's report.
void LifecycleManagerPrivate::finished(const ShutdownReport &report)
{
    Q_Q(LifecycleManager);
    // On its way out, the process must still be gone by the deadline.
    hardStop.finished(exitPath.autoExit() ? std::optional<int>(report.exitCode()) : std::nullopt);
    remainingTimer.stop();
    updateActiveSessions(); // the count the sequence ended on, not a queued one
    gate->sayRefusals();
    reportFile->write(report.toJson());
    Qt::beginPropertyUpdateGroup();
    state = State::Stopped;
    remainingMs = 0;
    Qt::endPropertyUpdateGroup();
    Q_EMIT q->stateChanged(State::Stopped, {});
    Q_EMIT q->remainingMsChanged(0, {});
    if (pidFileWritten)
        PidFile::removeIfOurs(pidFile, QCoreApplication::applicationPid());
    Q_EMIT q->shutdownFinished(report, {});

    exitPath.finished(report.exitCode(), services.runningThread());
}

// ---- events -----------------------------------------------------------------

void LifecycleManagerPrivate::onSignal(int signalNumber)
{
    Q_Q(LifecycleManager);
    if (signalNumber == SIGINT || signalNumber == SIGTERM) {
        // During and after a shutdown the hard stop decides, in its own thread.
        if (state == State::Starting || state == State::Running)
            request(0, SignalBridge::signalName(signalNumber));
    } else if (signalNumber == upgradeSignal && upgradeSignal != 0) {
        qCInfo(lcSignals, "%ls: upgrade requested",
               qUtf16Printable(SignalBridge::signalName(signalNumber)));
        Q_EMIT q->signalReceived(signalNumber, {});
        q->upgrade();
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
    readiness.beginReload();
    Q_EMIT q->reloadRequested({});
    readiness.endReload();
}

QString LifecycleManagerPrivate::statusLine() const
{
    switch (state.value()) {
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        if (QString why = readiness.notReadyReason(); !why.isEmpty())
            return why;
        return QStringLiteral("running: %1 service(s), %2 session(s)%3")
            .arg(runningServices.value())
            .arg(gate->count())
            .arg(readiness.reloadFailures().isEmpty()
                     ? QString()
                     : QStringLiteral("; the last reload failed: %1")
                           .arg(readiness.reloadFailures().join(QStringLiteral("; "))));
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
    activeSessions = count;
    Q_EMIT q->activeSessionsChanged(count, {});
}

void LifecycleManagerPrivate::updateRemainingMs()
{
    Q_Q(LifecycleManager);
    const int ms = static_cast<int>(std::max<qint64>(0, deadline.remainingTime()));
    if (state != State::Stopping || remainingMs == ms)
        return;
    remainingMs = ms;
    Q_EMIT q->remainingMsChanged(ms, {});
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

    if (!ApplicationManager::enrol(this)) {
        d->inert = true;
        return;
    }
    // Before the first line it logs: under systemd, warnings are warnings
    // in the journal (journalctl -p warning), not info like every line.
    JournalStream::applyToStandardError();

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
    connect(&d->services, &ServiceRegistry::runningChanged, this, [d](int running) {
        d->runningServices = running;
        Q_EMIT d->q_func()->runningServicesChanged(running, {});
    });
    connect(&d->services, &ServiceRegistry::ended, &d->sequence, &ShutdownSequence::serviceEnded);
    connect(&d->services, &ServiceRegistry::countsChanged, this, [d] { d->publishMetrics(); });
    connect(this, &LifecycleManager::runningServicesChanged, this, [d] { d->publishMetrics(); });
    connect(this, &LifecycleManager::stateChanged, this, [d] { d->publishMetrics(); });
    connect(&d->sequence, &ShutdownSequence::stepChanged, this, [d] { d->publishMetrics(); });
    d->publishMetrics();
    d->services.setNeverStarted(
        [this](const QThreadPool *pool) { return TrackedFuture::endNeverStarted(this, pool); });
    connect(&d->services, &ServiceRegistry::childPidsChanged, this,
            [d] { d->hardStop.setChildren(d->services.childPids()); });
    connect(&d->services, &ServiceRegistry::gaveUp, this, [d](const QString &name) {
        d->request(1, QStringLiteral("service \"%1\" gave up").arg(name));
    });
    connect(&d->saveStep, &SaveStep::saveRequested, this,
            [this](bool mayAsk) { Q_EMIT saveRequested(mayAsk, {}); });
    connect(&d->readiness, &Readiness::changed, this, [this, d](bool ready) {
        d->onReadyChanged(ready);
        Q_EMIT readyChanged(ready, {});
    });
    d->setUpUpgrades();
    d->exitPath.watch(app);
    connect(app, &QCoreApplication::aboutToQuit, this, [d] { d->hardStop.execReturned(); });

    // Everything registered before the event loop runs starts together.
    QMetaObject::invokeMethod(
        this, [d] { d->startServices(); }, Qt::QueuedConnection);
}

LifecycleManager::~LifecycleManager()
{
    Q_D(LifecycleManager);
    d->gate->setOnChange({});
    d->gate->detach();
    const bool stopping = d->state == State::Stopping;
    d->exitPath.managerDestroyed(stopping, stopping ? d->sequence.pendingDescription() : QString(),
                                 d->reportCode());
    ApplicationManager::leave(this);
}

LifecycleManager *LifecycleManager::instance()
{
    if (LifecycleManager *manager = ApplicationManager::get())
        return manager;
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread())
        return nullptr;
    auto *made = new LifecycleManager(app);
    ApplicationManager::madeOnDemand(made);
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
    SystemdNotifier *systemd = d->systemd.get();
    if (!systemd)
        return false;
    // RELOADING=1 before the slots of reloadRequested() run.
    connect(&d->readiness, &Readiness::reloadStarted, systemd, &SystemdNotifier::reloading);
    connect(&d->readiness, &Readiness::changed, systemd, &SystemdNotifier::readinessChanged);
    connect(&d->readiness, &Readiness::holdsChanged, systemd, &SystemdNotifier::statusChanged);
    connect(this, &LifecycleManager::stateChanged, systemd, [d, systemd](State state) {
        if (state == State::Stopping)
            systemd->stopping(d->deadline, QStringLiteral("stopping (%1)").arg(d->reason));
    });
    // A count that falls during a drain is progress, for EXTEND_TIMEOUT_USEC.
    const auto onCount = [systemd](int last) {
        return [systemd, last](int count) mutable {
            if (count < std::exchange(last, count))
                systemd->progress();
            systemd->statusChanged();
        };
    };
    connect(this, &LifecycleManager::activeSessionsChanged, systemd,
            onCount(d->activeSessions.valueBypassingBindings()));
    connect(this, &LifecycleManager::runningServicesChanged, systemd,
            onCount(d->runningServices.valueBypassingBindings()));
    connect(this, &LifecycleManager::remainingMsChanged, systemd, &SystemdNotifier::statusChanged);
    connect(this, &LifecycleManager::shutdownFinished, systemd, &SystemdNotifier::finished);
    if (d->readiness.isReady())
        systemd->ready();
    else if (d->state == State::Stopping)
        systemd->stopping(d->deadline, d->statusLine());
    return true;
}

bool LifecycleManager::storeFileDescriptor(int fd, const QString &name)
{
    Q_D(LifecycleManager);
    if (!d->systemd) {
        qCDebug(lcSystemd, "not storing \"%ls\": not started by systemd", qUtf16Printable(name));
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
    d->stopSource.followSignals();
    d->bridge = std::move(bridge);
    connect(d->bridge.get(), &SignalBridge::signalCaught, this,
            [d](int signalNumber) { d->onSignal(signalNumber); });
    return true;
}

bool LifecycleManager::setShutdownTimeout(std::chrono::milliseconds timeout)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::setShutdownTimeout", "wrong thread");
    if (d->shutdownBegun()) {
        qCWarning(lcLifecycle, "shutdown timeout not changed: the shutdown has already begun");
        return false;
    }
    if (timeout == d->timeout)
        return true;
    if (!d->hardStop.setTimeout(timeout))
        return false;
    d->timeout = timeout;
    Q_EMIT shutdownTimeoutChanged(shutdownTimeoutMs(), {});
    return true;
}

std::chrono::milliseconds LifecycleManager::shutdownTimeout() const
{
    return d_func()->timeout;
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
    return d_func()->exitPath.autoExit();
}

void LifecycleManager::setAutoExit(bool enabled)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::setAutoExit", "wrong thread");
    if (d->exitPath.autoExit() == enabled)
        return;
    d->exitPath.setAutoExit(enabled);
    Q_EMIT autoExitChanged(enabled, {});
}

bool LifecycleManager::addService(QObject *service, const ServiceOptions &options)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::addService", "wrong thread");
    return !d->inert && d->services.add(service, options);
}

bool LifecycleManager::addService(QThread *thread, const ServiceOptions &options)
{
    return addService(static_cast<QObject *>(thread), options);
}

bool LifecycleManager::addService(QProcess *child, const ServiceOptions &options)
{
    return addService(static_cast<QObject *>(child), options);
}

bool LifecycleManager::addService(QThreadPool *pool, const ServiceOptions &options)
{
    return addService(static_cast<QObject *>(pool), options);
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
    return d->gate->track(session) != SessionGate::TrackResult::Closed;
}

SessionToken LifecycleManager::holdSession(const QString &what)
{
    Q_D(LifecycleManager);
    if (d->inert)
        return {};
    const quint64 id = d->gate->hold(what);
    return id == 0 ? SessionToken() : SessionToken(d->gate, id);
}

bool LifecycleManager::setReportFile(const QString &path)
{
    Q_D(LifecycleManager);
    if (path.isEmpty() && !d->reportFile->path().isEmpty()) {
        d->reportFile->setPath({});
        return true;
    }
    if (const QString why = ReportFile::refusal(path); !why.isEmpty()) {
        qCWarning(lcLifecycle, "setReportFile(\"%ls\"): refused: %ls", qUtf16Printable(path),
                  qUtf16Printable(why));
        return false;
    }
    d->reportFile->setPath(path);
    return true;
}

QString LifecycleManager::reportFile() const
{
    return d_func()->reportFile->path();
}

LifecycleManager::State LifecycleManager::state() const
{
    return d_func()->state;
}

bool LifecycleManager::isShuttingDown() const
{
    return d_func()->shuttingDown;
}

int LifecycleManager::activeSessions() const
{
    return d_func()->gate->count();
}

int LifecycleManager::runningServices() const
{
    return d_func()->runningServices;
}

QString LifecycleManager::shutdownReason() const
{
    return d_func()->reason;
}

int LifecycleManager::remainingMs() const
{
    return d_func()->remainingMs;
}

QDeadlineTimer LifecycleManager::shutdownDeadline() const
{
    return d_func()->deadline;
}

// Made from const properties, so setValue() and setBinding() do nothing.
QBindable<LifecycleManager::State> LifecycleManager::bindableState()
{
    return &std::as_const(*d_func()).state;
}

QBindable<bool> LifecycleManager::bindableShuttingDown()
{
    return &std::as_const(*d_func()).shuttingDown;
}

QBindable<int> LifecycleManager::bindableActiveSessions()
{
    return &std::as_const(*d_func()).activeSessions;
}

QBindable<int> LifecycleManager::bindableRunningServices()
{
    return &std::as_const(*d_func()).runningServices;
}

QBindable<QString> LifecycleManager::bindableShutdownReason()
{
    return &std::as_const(*d_func()).reason;
}

QBindable<int> LifecycleManager::bindableRemainingMs()
{
    return &std::as_const(*d_func()).remainingMs;
}

QBindable<bool> LifecycleManager::bindableReady()
{
    return d_func()->readiness.bindable();
}

bool LifecycleManager::isReady() const
{
    return d_func()->readiness.isReadyNow();
}

bool LifecycleManager::setLameDuck(std::chrono::milliseconds delay)
{
    return d_func()->sequence.setLameDuck(delay);
}

std::chrono::milliseconds LifecycleManager::lameDuck() const
{
    return d_func()->sequence.lameDuck();
}

StopToken LifecycleManager::stopToken() const
{
    return d_func()->stopSource.token();
}

bool LifecycleManager::trackFuture(const QFuture<void> &future, const QString &what,
                                   FutureAtShutdown atShutdown)
{
    SessionToken session = holdSession(what);
    if (!session)
        return false;
    TrackedFuture::track(future, what, std::move(session), stopToken(),
                         atShutdown == FutureAtShutdown::Cancel, this);
    return true;
}

bool LifecycleManager::holdReadiness(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT(d->isInManagerThread());
    return d->readiness.hold(what);
}

bool LifecycleManager::releaseReadiness(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT(d->isInManagerThread());
    return d->readiness.release(what);
}

void LifecycleManager::reportReloadFailure(const QString &error)
{
    Q_D(LifecycleManager);
    Q_ASSERT(d->isInManagerThread());
    qCWarning(lcLifecycle, "reload failed: %ls", qUtf16Printable(error));
    d->readiness.reloadFailed(error);
}

QString LifecycleManager::shutdownPhase() const
{
    return QString::fromLatin1(d_func()->metrics.phase());
}

QByteArray LifecycleManager::metrics(MetricsFormat format) const
{
    Q_D(const LifecycleManager);
    LifecycleMetrics::Live live;
    live.ready = d->readiness.isReadyNow();
    live.shuttingDown = d->claimed || d->hardStop.terminationSignalled();
    live.sessions = d->gate->count();
    live.sessionsEntered = d->gate->entered();
    live.sessionsRefused = d->gate->refused();
    live.nowNs = QDeadlineTimer::current().deadlineNSecs();
    MetricsText text(format == MetricsFormat::OpenMetrics ? MetricsText::Format::OpenMetrics
                                                          : MetricsText::Format::Prometheus);
    d->metrics.write(text, live);
    return text.text();
}

ShutdownReport LifecycleManager::report() const
{
    Q_D(const LifecycleManager);
    return d->sequence.report().isValid() ? d->sequence.report() : ShutdownReport();
}

int LifecycleManager::exitCode(int execResult) const
{
    Q_D(const LifecycleManager);
    return d->exitPath.exitCode(execResult, d->reportCode());
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
