#pragma once

#include <canstop/serviceoptions.h>

#include <QElapsedTimer>
#include <QList>
#include <QMetaMethod>
#include <QObject>
#include <QPointer>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace canstop {

// The manager's side of one service: what it is called, how to start, stop
// and restart it, and whether it is running. Lives in the manager's thread
// and hears the service's own signals queued.
class ServiceEntry : public QObject
{
    Q_OBJECT

public:
    ServiceEntry(QObject *service, const ServiceOptions &options, QObject *parent);
    ~ServiceEntry() override;

    QObject *service() const { return m_service.data(); }
    QThread *thread() const { return m_thread; }
    const QString &name() const { return m_name; }
    const ServiceOptions &options() const { return m_options; }
    bool isRunning() const { return m_running; }
    int restarts() const { return m_restarts; }
    const QString &lastError() const { return m_lastError; }

    void start();
    // Asks the service to stop; ended() follows once it has (always queued).
    void stop();

    // Counts a failure and returns how many fell within the policy's window.
    int recordFailure(const QString &error);
    int restartsInWindow();
    // After `delay`, emits restartDue(); cancelRestart() (a shutdown) stops that.
    void scheduleRestart(std::chrono::milliseconds delay);
    void cancelRestart();
    // Swaps in a fresh instance from the policy's factory; the entry owns it.
    void replace(QObject *service);

    QElapsedTimer stopClock;

    static QString nameFor(const QObject *service, const ServiceOptions &options);
    // Why `service` cannot be a service, or an empty string if it can.
    static QString refusal(const QObject *service);

public Q_SLOTS:
    // Connected at run time to the service's stopped()/finished() and
    // failed(QString), whichever it has.
    void onDone();
    void onFailed(const QString &error);

Q_SIGNALS:
    void runningChanged(bool running);
    // Stopping is over: the service stopped, finished or was destroyed.
    void ended();
    // The service ended without being asked to.
    void failed(const QString &error);
    void restartDue();

private:
    void attach(QObject *service);
    void detach();
    qint64 windowStart() const;
    void dispose(QObject *instance);
    void setRunning(bool running);
    void endedOnItsOwn(const QString &error);

    QPointer<QObject> m_service;
    QThread *m_thread = nullptr; // the service itself, when it is a QThread
    bool m_owned = false;        // made by the restart factory
    QString m_name;
    ServiceOptions m_options;
    QMetaMethod m_startMethod;
    QMetaMethod m_stopMethod;
    bool m_hasDoneSignal = false;
    bool m_running = false;
    bool m_stopping = false;
    QList<QMetaObject::Connection> m_connections;

    int m_restarts = 0;
    QString m_lastError;
    QList<qint64> m_failures; // ms on m_clock, newest last
    QList<qint64> m_restartTimes;
    QElapsedTimer m_clock;
    QTimer m_restartTimer;
};

} // namespace canstop
