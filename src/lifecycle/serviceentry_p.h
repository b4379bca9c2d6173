#pragma once

#include <canstop/serviceoptions.h>

#include <QElapsedTimer>
#include <QMetaMethod>
#include <QObject>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace canstop {

// The manager's side of one service: what it is called, how to start and
// stop it, and whether it is running. Lives in the manager's thread; hears
// the service's own signals queued.
class ServiceEntry : public QObject
{
    Q_OBJECT

public:
    // `thread` is the service itself when the service is a QThread.
    ServiceEntry(QObject *service, QThread *thread, const ServiceOptions &options, QObject *parent);

    QObject *service() const { return m_service.data(); }
    QThread *thread() const { return m_thread; }
    const QString &name() const { return m_name; }
    const ServiceOptions &options() const { return m_options; }
    bool isRunning() const { return m_running; }

    void start();
    // Asks the service to stop; ended() follows when it has (queued, always).
    void stop();

    QElapsedTimer stopClock;

    static QString nameFor(const QObject *service, const ServiceOptions &options);

public Q_SLOTS:
    // Connected to the service's stopped() or finished(), found at run time.
    void markEnded();

Q_SIGNALS:
    void runningChanged(bool running);
    // The service stopped, finished or was destroyed.
    void ended();

private:
    void setRunning(bool running);

    QPointer<QObject> m_service;
    QThread *m_thread;
    QString m_name;
    ServiceOptions m_options;
    QMetaMethod m_startMethod;
    QMetaMethod m_stopMethod;
    bool m_hasDoneSignal = false;
    bool m_running = false;
};

} // namespace canstop
