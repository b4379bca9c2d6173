#include "serviceentry_p.h"

#include "servicecall_p.h"

#include <QThread>

#include <algorithm>

namespace canstop {

namespace {

// Drops the times (oldest first) from before `since` and counts the rest.
int countSince(QList<qint64> &times, qint64 since)
{
    times.erase(times.begin(),
                std::find_if(times.begin(), times.end(), [since](qint64 t) { return t >= since; }));
    return static_cast<int>(times.size());
}

} // namespace

ServiceEntry::ServiceEntry(QObject *service, const ServiceOptions &options, QObject *parent)
    : QObject(parent), m_name(nameFor(service, options)), m_options(options)
{
    m_clock.start();
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, &ServiceEntry::restartDue);
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
    return QString::fromLatin1(service->metaObject()->className());
}

QString ServiceEntry::refusal(const QObject *service)
{
    if (!service)
        return QStringLiteral("the service is null");
    if (auto *thread = qobject_cast<const QThread *>(service)) {
        if (thread->isFinished())
            return QStringLiteral("thread \"%1\" has already finished").arg(nameFor(service, {}));
        return {};
    }
    if (service->metaObject()->indexOfMethod("stop()") < 0)
        return QStringLiteral("%1 has no stop() slot or invokable")
            .arg(QString::fromLatin1(service->metaObject()->className()));
    return {};
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

void ServiceEntry::replace(QObject *service)
{
    QObject *old = m_service.data();
    const bool ownedOld = m_owned;
    attach(service);
    // Later, not now: its failure may still be on the stack.
    if (ownedOld && old)
        old->deleteLater();
    m_owned = true;
    ++m_restarts;
    m_restartTimes.append(m_clock.elapsed());
}

void ServiceEntry::start()
{
    if (!m_service)
        return;
    if (m_thread) {
        m_thread->start(); // does nothing if it is already running
        setRunning(true);
    } else if (m_startMethod.isValid()) {
        ServiceCall::post(m_service, m_startMethod);
    }
}

void ServiceEntry::stop()
{
    stopClock.start();
    m_stopping = true;
    const bool running = m_thread ? m_thread->isRunning() : m_running && m_service;
    if (!running) {
        QMetaObject::invokeMethod(this, &ServiceEntry::onDone, Qt::QueuedConnection);
        return;
    }
    if (m_thread) {
        m_thread->requestInterruption();
        m_thread->quit();
        return;
    }
    // Without a stopped() or finished() signal, returning from stop() is the end.
    if (m_hasDoneSignal)
        ServiceCall::post(m_service, m_stopMethod);
    else
        ServiceCall::post(m_service, m_stopMethod, this, [this] { onDone(); });
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
    Q_EMIT failed(error);
}

int ServiceEntry::recordFailure(const QString &error)
{
    m_lastError = error;
    m_failures.append(m_clock.elapsed());
    return countSince(m_failures, windowStart());
}

int ServiceEntry::restartsInWindow()
{
    return countSince(m_restartTimes, windowStart());
}

qint64 ServiceEntry::windowStart() const
{
    return m_clock.elapsed() - m_options.restart.window.count();
}

void ServiceEntry::scheduleRestart(std::chrono::milliseconds delay)
{
    m_restartTimer.start(delay);
}

void ServiceEntry::cancelRestart()
{
    m_restartTimer.stop();
}

void ServiceEntry::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

} // namespace canstop
