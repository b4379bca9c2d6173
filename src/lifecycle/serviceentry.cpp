#include "serviceentry_p.h"

#include "servicecall_p.h"

#include <QThread>

namespace canstop {

ServiceEntry::ServiceEntry(QObject *service, QThread *thread, const ServiceOptions &options,
                           QObject *parent)
    : QObject(parent), m_service(service), m_thread(thread), m_name(nameFor(service, options)),
      m_options(options)
{
    connect(service, &QObject::destroyed, this, &ServiceEntry::markEnded);
    if (thread) {
        connect(thread, &QThread::started, this, [this] { setRunning(true); });
        connect(thread, &QThread::finished, this, &ServiceEntry::markEnded);
        m_running = thread->isRunning();
        return;
    }

    const QMetaObject *meta = service->metaObject();
    m_startMethod = meta->method(meta->indexOfMethod("start()"));
    m_stopMethod = meta->method(meta->indexOfMethod("stop()"));
    // A service announces the end of its stop in its own words, if it has any.
    const QMetaMethod markEnded =
        staticMetaObject.method(staticMetaObject.indexOfSlot("markEnded()"));
    for (const char *signature : {"stopped()", "finished()"}) {
        const int index = meta->indexOfSignal(signature);
        if (index < 0)
            continue;
        connect(service, meta->method(index), this, markEnded, Qt::QueuedConnection);
        m_hasDoneSignal = true;
    }
    m_running = true;
}

QString ServiceEntry::nameFor(const QObject *service, const ServiceOptions &options)
{
    if (!options.name.isEmpty())
        return options.name;
    if (!service->objectName().isEmpty())
        return service->objectName();
    return QString::fromLatin1(service->metaObject()->className());
}

void ServiceEntry::start()
{
    if (m_thread) {
        m_thread->start(); // does nothing if it is already running
        setRunning(true);
    } else if (m_service && m_startMethod.isValid()) {
        ServiceCall::post(m_service, m_startMethod);
    }
}

void ServiceEntry::stop()
{
    stopClock.start();
    const bool running = m_thread ? m_thread->isRunning() : m_running && m_service;
    if (!running) {
        QMetaObject::invokeMethod(this, &ServiceEntry::markEnded, Qt::QueuedConnection);
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
        ServiceCall::post(m_service, m_stopMethod, this, [this] { markEnded(); });
}

void ServiceEntry::markEnded()
{
    setRunning(false);
    Q_EMIT ended();
}

void ServiceEntry::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

} // namespace canstop
