// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "serviceentry_p.h"

#include "logging_p.h"
#include "servicecall_p.h"

#include <QFileInfo>
#include <QProcess>
#include <QThread>
#include <QThreadPool>

#include <algorithm>

namespace canstop {

ServiceEntry::ServiceEntry(QObject *service, const ServiceOptions &options, QObject *parent)
    : QObject(parent), m_name(nameFor(service, options)), m_options(options)
{
    m_clock.start();
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, &ServiceEntry::restart);
    connect(&m_poolCheck, &QTimer::timeout, this, [this] {
        if (m_pool && m_pool->activeThreadCount() == 0) {
            m_poolCheck.stop();
            if (const QStringList removed = m_neverStarted ? m_neverStarted(m_pool) : QStringList();
                !removed.isEmpty()) {
                m_ending = QStringLiteral("%1 queued task(s) removed before they started: \"%2\"")
                               .arg(removed.size())
                               .arg(removed.join(QStringLiteral("\", \"")));
            }
            onDone();
        }
    });
    attach(service);
}

ServiceEntry::~ServiceEntry()
{
    detach();
    if (m_owned)
        dispose(m_service);
}

void ServiceEntry::dispose(QObject *instance)
{
    // A thread still running is abandoned on purpose: Qt aborts if it is deleted.
    if (!instance || (m_thread == instance && m_thread->isRunning()))
        return;
    if (instance->thread() == QThread::currentThread())
        delete instance;
    else
        instance->deleteLater();
}

QString ServiceEntry::nameFor(const QObject *service, const ServiceOptions &options)
{
    if (!options.name.isEmpty())
        return options.name;
    if (!service->objectName().isEmpty())
        return service->objectName();
    if (auto *process = qobject_cast<const QProcess *>(service);
        process && !process->program().isEmpty())
        return QFileInfo(process->program()).fileName();
    return QString::fromLatin1(service->metaObject()->className());
}

QString ServiceEntry::refusal(const QObject *service, bool stopGiven)
{
    if (!service)
        return QStringLiteral("the service is null");
    if (auto *thread = qobject_cast<const QThread *>(service)) {
        if (thread->isFinished())
            return QStringLiteral("thread \"%1\" has already finished").arg(nameFor(service, {}));
        return {};
    }
    if (qobject_cast<const QThreadPool *>(service))
        return {};
    if (auto *process = qobject_cast<const QProcess *>(service)) {
        if (process->state() == QProcess::NotRunning && process->program().isEmpty())
            return QStringLiteral("process \"%1\" is not running and has no program to start")
                .arg(nameFor(service, {}));
        return {};
    }
    if (!stopGiven && service->metaObject()->indexOfMethod("stop()") < 0)
        return QStringLiteral("%1 has no stop() slot or invokable")
            .arg(QString::fromLatin1(service->metaObject()->className()));
    return {};
}

QString ServiceEntry::refusal(const ServiceOptions &options)
{
    const RestartPolicy &restart = options.restart;
    const auto durations = {options.stopTimeout, restart.window, restart.backoff,
                            restart.maxBackoff};
    if (restart.maxRestarts >= 0 &&
        std::none_of(durations.begin(), durations.end(), [](std::chrono::milliseconds ms) {
            return ms.count() < 0 || ms.count() > std::numeric_limits<int>::max();
        }))
        return {};
    return QStringLiteral("a timeout or limit is negative or longer than %1 ms")
        .arg(std::numeric_limits<int>::max());
}

void ServiceEntry::detach()
{
    for (const QMetaObject::Connection &connection : std::as_const(m_connections))
        disconnect(connection);
    m_connections.clear();
}

void ServiceEntry::attach(QObject *service)
{
    detach();
    m_service = service;
    m_thread = qobject_cast<QThread *>(service);
    m_process = qobject_cast<QProcess *>(service);
    m_pool = qobject_cast<QThreadPool *>(service);
    m_pid = m_process ? m_process->processId() : 0;
    m_ending.clear();
    m_stopping = false;
    m_hasDoneSignal = false;

    m_connections.append(connect(service, &QObject::destroyed, this,
                                 [this] { endedOnItsOwn(QStringLiteral("destroyed")); }));
    if (m_thread) {
        m_connections.append(
            connect(m_thread, &QThread::started, this, [this] { setRunning(true); }));
        m_connections.append(connect(m_thread, &QThread::finished, this,
                                     [this] { endedOnItsOwn(QStringLiteral("thread finished")); }));
        setRunning(m_thread->isRunning());
        return;
    }
    if (m_pool) {
        setRunning(true); // from the start: it takes tasks at any time
        return;
    }
    if (m_process) {
        m_connections.append(connect(m_process, &QProcess::started, this, [this] {
            m_pid = m_process->processId();
            setRunning(true);
            Q_EMIT childChanged();
        }));
        m_connections.append(connect(
            m_process, &QProcess::finished, this,
            [this](int exitCode, QProcess::ExitStatus status) {
                if (m_ending.isEmpty()) // not killed by its budget
                    m_ending =
                        status == QProcess::NormalExit
                            ? QStringLiteral("pid %1 exited with code %2").arg(m_pid).arg(exitCode)
                            : QStringLiteral("pid %1 ended by signal %2").arg(m_pid).arg(exitCode);
                Q_EMIT childChanged();
                endedOnItsOwn(m_ending);
            }));
        m_connections.append(connect(m_process, &QProcess::errorOccurred, this,
                                     [this](QProcess::ProcessError error) {
                                         if (error == QProcess::FailedToStart)
                                             endedOnItsOwn(m_process->errorString());
                                     }));
        setRunning(m_process->state() != QProcess::NotRunning);
        return;
    }

    const QMetaObject *meta = service->metaObject();
    m_startMethod = meta->method(meta->indexOfMethod("start()"));
    m_stopMethod = meta->method(meta->indexOfMethod("stop()"));
    // Signals found at run time can only be connected by QMetaMethod.
    const QMetaObject &self = staticMetaObject;
    const QMetaMethod onDone = self.method(self.indexOfSlot("onDone()"));
    for (const char *signature : {"stopped()", "finished()"}) {
        const int index = meta->indexOfSignal(signature);
        if (index < 0)
            continue;
        m_connections.append(
            connect(service, meta->method(index), this, onDone, Qt::QueuedConnection));
        m_hasDoneSignal = true;
    }
    const int failedIndex = meta->indexOfSignal("failed(QString)");
    if (failedIndex >= 0) {
        m_connections.append(connect(service, meta->method(failedIndex), this,
                                     self.method(self.indexOfSlot("onFailed(QString)")),
                                     Qt::QueuedConnection));
    }
    setRunning(true);
}

void ServiceEntry::start()
{
    m_started = true;
    if (!m_service)
        return;
    if (m_thread) {
        m_thread->start(); // does nothing if it is already running
        setRunning(true);
    } else if (m_process) {
        if (m_process->state() == QProcess::NotRunning) {
            m_process->start(); // its program and arguments, as set
            setRunning(true);   // until it fails to start
        }
    } else if (m_startMethod.isValid()) {
        ServiceCall::post(m_service, m_startMethod);
    }
}

void ServiceEntry::stop()
{
    m_stopClock.start();
    m_stopping = true;
    const bool running = m_thread    ? m_thread->isRunning()
                         : m_process ? m_process->state() != QProcess::NotRunning
                                     : m_running && m_service;
    if (!running) {
        QMetaObject::invokeMethod(this, &ServiceEntry::onDone, Qt::QueuedConnection);
        return;
    }
    if (m_thread) {
        m_thread->requestInterruption();
        m_thread->quit();
        return;
    }
    if (m_process) {
        m_process->terminate(); // SIGTERM; finished() ends the stop
        return;
    }
    if (m_pool) {
        // Queued tasks never start; running ones have the stop token.
        m_pool->clear();
        m_poolCheck.start(PoolCheck);
        return;
    }
    // Without a stopped() or finished() signal, returning from stop() is the end.
    QObject *const receiver = m_hasDoneSignal ? nullptr : this;
    const auto returned = [this] { onDone(); };
    if (m_stopMethod.isValid())
        ServiceCall::post(m_service, m_stopMethod, receiver, returned);
    else
        ServiceCall::post(m_service, m_options.stop, receiver, returned);
}

void ServiceEntry::budgetSpent()
{
    if (m_pool) {
        m_poolCheck.stop();
        m_ending = QStringLiteral("%1 task(s) still running; a pool cannot stop its threads")
                       .arg(m_pool->activeThreadCount());
        return;
    }
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_ending = QStringLiteral("pid %1 killed with SIGKILL after its budget").arg(m_pid);
    qCWarning(lcServices, "service \"%ls\": %ls", qUtf16Printable(m_name),
              qUtf16Printable(m_ending));
    m_process->kill();
}

qint64 ServiceEntry::childPid() const
{
    return m_process && m_process->state() != QProcess::NotRunning ? m_pid : 0;
}

void ServiceEntry::onDone()
{
    if (!m_stopping) {
        endedOnItsOwn(QStringLiteral("finished on its own"));
        return;
    }
    setRunning(false);
    Q_EMIT ended();
}

void ServiceEntry::onFailed(const QString &error)
{
    endedOnItsOwn(error.isEmpty() ? QStringLiteral("failed") : error);
}

void ServiceEntry::endedOnItsOwn(const QString &error)
{
    if (m_stopping) {
        // Whatever way it went, it is no longer running: the stop is over.
        onDone();
        return;
    }
    if (!m_running)
        return;
    setRunning(false);
    supervise(error);
}

void ServiceEntry::stopSupervising()
{
    m_supervising = false;
    m_restartTimer.stop();
}

// Drops the times (oldest first) from before the window and counts the rest.
int ServiceEntry::countSince(QList<qint64> &times) const
{
    const qint64 since = m_clock.elapsed() - m_options.restart.window.count();
    times.erase(times.begin(),
                std::find_if(times.begin(), times.end(), [since](qint64 t) { return t >= since; }));
    return static_cast<int>(times.size());
}

void ServiceEntry::supervise(const QString &error)
{
    m_lastError = error;
    ++m_failureCount;
    Q_EMIT countsChanged();
    m_failures.append(m_clock.elapsed());
    const int recent = countSince(m_failures);
    if (!m_supervising) {
        qCWarning(lcServices, "service \"%ls\" failed during the shutdown: %ls",
                  qUtf16Printable(m_name), qUtf16Printable(error));
        return;
    }
    const RestartPolicy &policy = m_options.restart;
    if (!policy.factory) {
        qCWarning(lcServices,
                  "service \"%ls\" failed: %ls; without a restart policy it stays stopped",
                  qUtf16Printable(m_name), qUtf16Printable(error));
        return;
    }
    if (const int restarts = countSince(m_restartTimes); restarts >= policy.maxRestarts) {
        giveUp(QStringLiteral("it failed again (%1) after %2 restart(s) within %3 ms")
                   .arg(error)
                   .arg(restarts)
                   .arg(policy.window.count()));
        return;
    }
    const std::chrono::milliseconds delay = policy.delayAfter(recent);
    qCWarning(lcServices, "service \"%ls\" failed: %ls; restarting in %lld ms",
              qUtf16Printable(m_name), qUtf16Printable(error),
              static_cast<long long>(delay.count()));
    m_restartTimer.start(delay);
}

void ServiceEntry::restart()
{
    if (!m_supervising)
        return;
    QObject *fresh = m_options.restart.factory();
    QString why = refusal(fresh, bool(m_options.stop));
    if (why.isEmpty() && fresh == m_service)
        why = QStringLiteral("it returned the instance it replaces");
    if (!why.isEmpty()) {
        giveUp(QStringLiteral("its restart factory made nothing usable (%1)").arg(why));
        return;
    }
    QObject *old = m_service.data();
    const bool ownedOld = m_owned;
    attach(fresh);
    // Later, not now: its failure may still be on the stack.
    if (ownedOld && old)
        old->deleteLater();
    m_owned = true;
    ++m_restarts;
    Q_EMIT countsChanged();
    m_restartTimes.append(m_clock.elapsed());
    qCInfo(lcServices, "service \"%ls\" restarted (%d restart(s) so far)", qUtf16Printable(m_name),
           m_restarts);
    if (m_started)
        start();
}

void ServiceEntry::giveUp(const QString &why)
{
    if (m_options.restart.shutdownOnGiveUp) {
        qCCritical(lcServices, "giving up on service \"%ls\": %ls; shutting down",
                   qUtf16Printable(m_name), qUtf16Printable(why));
        Q_EMIT gaveUp();
    } else {
        qCCritical(lcServices, "giving up on service \"%ls\": %ls; it stays stopped",
                   qUtf16Printable(m_name), qUtf16Printable(why));
    }
}

void ServiceEntry::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

} // namespace canstop
