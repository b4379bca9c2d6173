// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/shutdownreport.h>

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <mutex>
#include <vector>

namespace canstop {

class ServiceEntry;
class SessionGate;

// One run of the shutdown, as docs/architecture.md draws it: five steps,
// one advance() that moves through them, driven by events. It owns the
// step, the deadline, the stop queue, the one wait timer and the report;
// it ends by emitting finished(), and never exits the application itself.
// Lives in the manager's thread; pendingDescription() is for any thread.
class ShutdownSequence : public QObject
{
    Q_OBJECT

public:
    enum class Step { Idle, Announce, LameDuck, Services, Sessions, LateServices, Finish, Done };
    Q_ENUM(Step)

    static constexpr int StragglersNamed = 20;

    explicit ShutdownSequence(std::shared_ptr<SessionGate> gate, QObject *parent = nullptr);

    // Starts the sequence; the announcement (state, shutdownRequested) has
    // just been made. After the lame duck (serving on, sessions admitted)
    // drainStarted() is emitted and the gate closes. `services` oldest first.
    void begin(const QString &reason, int exitCode, QDeadlineTimer deadline,
               const std::vector<ServiceEntry *> &services);
    // How long to serve on before the drain: 0 to INT_MAX ms, set before
    // begin(); refused with one warning otherwise.
    bool setLameDuck(std::chrono::milliseconds delay);
    std::chrono::milliseconds lameDuck() const { return m_lameDuck; }

    // Events.
    // The manager is announcing the shutdown (before its slots run; begin() follows them).
    void announcing();
    void serviceEnded(ServiceEntry *entry);
    void sessionsChanged();
    void timerFired(); // the wait timer: the lame duck, a service's budget or the deadline
    void skipLameDuck();

    Step step() const { return m_step; }
    QDeadlineTimer deadline() const { return m_deadline; }
    const ShutdownReport &report() const { return m_report; }
    // "service "x"; 2 session(s): …", or empty when nothing is pending.
    QString pendingDescription() const;

Q_SIGNALS:
    void stepChanged();
    void drainStarted();
    void finished(const canstop::ShutdownReport &report);

private:
    void advance();
    void enter(Step next);
    void queueServices(bool late);
    bool servicesStopped();
    bool sessionsEnded();
    void reportSessions(int stillOpen, const QStringList &stillOpenNames);
    void finish();
    void addServiceReport(const ServiceEntry *entry, ServiceReport::Outcome outcome);
    void publishPending();
    qint64 remainingMs() const;

    const std::shared_ptr<SessionGate> m_gate;
    Step m_step = Step::Idle;
    QDeadlineTimer m_deadline = QDeadlineTimer::Forever;
    int m_requestedExitCode = 0;
    std::chrono::milliseconds m_lameDuck{0};
    bool m_lameDuckOver = false;
    std::vector<ServiceEntry *> m_services; // oldest first
    std::vector<ServiceEntry *> m_queue;    // the next to stop is at the back
    ServiceEntry *m_current = nullptr;      // the service being waited for
    qint64 m_currentBudgetMs = 0;
    int m_sessionsAtClose = 0;
    bool m_sessionsAbandoned = false;
    QTimer m_timer;
    QElapsedTimer m_totalClock;
    QElapsedTimer m_stepClock;
    ShutdownReport m_report;

    mutable std::mutex m_pendingMutex;
    QStringList m_pendingServices; // for pendingDescription(), in stop order
    bool m_pendingBegun = false;
    bool m_pendingAnnounced = false;
    bool m_pendingLameDuck = false;
};

} // namespace canstop
