// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/serviceoptions.h>

#include <QElapsedTimer>
#include <QList>
#include <QMetaMethod>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

QT_BEGIN_NAMESPACE
class QProcess;
class QThread;
class QThreadPool;
QT_END_NAMESPACE

namespace canstop {

// The manager's side of one service: what it is called, how to start and
// stop it, whether it is running, and its supervision: failures counted in
// the policy's window, restarts after a backoff, giving up. Lives in the
// manager's thread and hears the service's own signals queued.
class ServiceEntry : public QObject
{
    Q_OBJECT

public:
    // How often a stopping QThreadPool is asked whether its tasks have
    // returned: it has no signal for it; short beside any stop budget.
    static constexpr std::chrono::milliseconds PoolCheck{10};

    // Asked, once a stopping pool has no task left running, to end what is
    // tracked of the tasks it removed; answers what they were.
    using NeverStarted = std::function<QStringList(const QThreadPool *pool)>;

    ServiceEntry(QObject *service, const ServiceOptions &options, QObject *parent);
    ~ServiceEntry() override;
    void setNeverStarted(NeverStarted neverStarted) { m_neverStarted = std::move(neverStarted); }

    QObject *service() const { return m_service.data(); }
    QThread *thread() const { return m_thread; }
    const QString &name() const { return m_name; }
    const ServiceOptions &options() const { return m_options; }
    bool isRunning() const { return m_running; }
    int restarts() const { return m_restarts; }
    // Every time it failed or ended on its own, restarted or not.
    int failures() const { return m_failureCount; }
    const QString &lastError() const { return m_lastError; }
    // How its child process ended, or how it is being ended; for a pool,
    // what it removed or left running; empty for other services.
    const QString &ending() const { return m_ending; }
    // The pid of its child process while it runs; 0 if none.
    qint64 childPid() const;

    // Starts the service, and from now on a restarted one too.
    void start();
    // Asks the service to stop; ended() follows once it has (always queued).
    void stop();
    // Its stop budget is over and the sequence goes on without it: a child
    // process is killed (SIGKILL); nothing else can be forced.
    void budgetSpent();
    // A shutdown began: no more restarts; a failure is only recorded.
    void stopSupervising();

    // Since stop() was asked, in ms; 0 if it never was.
    qint64 stopMs() const { return m_stopClock.isValid() ? m_stopClock.elapsed() : 0; }

    static QString nameFor(const QObject *service, const ServiceOptions &options);
    // Why `service` cannot be a service (with a stop function of its own,
    // `stopGiven`, it needs no stop() slot), or an empty string if it can.
    static QString refusal(const QObject *service, bool stopGiven = false);
    // Why `options` cannot be a service's, or an empty string if they can.
    static QString refusal(const ServiceOptions &options);

public Q_SLOTS:
    // Connected at run time to the service's stopped()/finished() and
    // failed(QString), whichever it has.
    void onDone();
    void onFailed(const QString &error);

Q_SIGNALS:
    void runningChanged(bool running);
    // Its child process started or ended (childPid()).
    void childChanged();
    // failures() or restarts() went up.
    void countsChanged();
    // Stopping is over: the service stopped, finished or was destroyed.
    void ended();
    // The restart policy gave up and asks for a shutdown (shutdownOnGiveUp).
    void gaveUp();

private:
    void attach(QObject *service);
    void detach();
    void dispose(QObject *instance);
    void setRunning(bool running);
    void endedOnItsOwn(const QString &error);
    void supervise(const QString &error);
    void restart();
    void giveUp(const QString &why);
    int countSince(QList<qint64> &times) const;

    QPointer<QObject> m_service;
    QThread *m_thread = nullptr;   // the service itself, when it is a QThread
    QProcess *m_process = nullptr; // the service itself, when it is a QProcess
    QThreadPool *m_pool = nullptr; // the service itself, when it is a QThreadPool
    QTimer m_poolCheck;            // while a pool stops: has its last task returned?
    NeverStarted m_neverStarted;
    qint64 m_pid = 0; // m_process's, from its start
    QString m_ending;
    bool m_owned = false; // made by the restart factory
    QString m_name;
    ServiceOptions m_options;
    QMetaMethod m_startMethod;
    QMetaMethod m_stopMethod;
    bool m_hasDoneSignal = false;
    bool m_running = false;
    bool m_stopping = false;
    bool m_started = false;
    bool m_supervising = true;
    QList<QMetaObject::Connection> m_connections;

    int m_restarts = 0;
    int m_failureCount = 0;
    QString m_lastError;
    QList<qint64> m_failures; // ms on m_clock, newest last
    QList<qint64> m_restartTimes;
    QElapsedTimer m_clock; // for the window
    QTimer m_restartTimer;
    QElapsedTimer m_stopClock;
};

} // namespace canstop
