#pragma once

#include <canstop/lifecyclemanager.h>

#include "serviceentry_p.h"
#include "sessiongate_p.h"
#include "shutdownreport_p.h"
#include "signalbridge_p.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QMetaMethod>
#include <QPointer>
#include <QTimer>

#include <atomic>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QEventLoop;
QT_END_NAMESPACE

namespace canstop {

class LifecycleManagerPrivate
{
public:
    using State = LifecycleManager::State;
    using Phase = ShutdownReport::Phase;

    explicit LifecycleManagerPrivate(LifecycleManager *q);

    bool addService(QObject *service, const ServiceOptions &options);
    void startServices();
    void serviceEnded(ServiceEntry *entry);
    void serviceFailed(ServiceEntry *entry, const QString &error);
    void restartService(ServiceEntry *entry);
    void giveUp(ServiceEntry *entry, const QString &why);
    void countRunningServices();

    // Any thread; the first call wins.
    void request(int exitCode, const QString &reason);
    void begin(int exitCode, const QString &reason);
    void enterPhase(Phase phase);
    void stopNextService();
    void waitTimedOut();
    void checkSessionsDrained();
    void stopLateServices();
    void finish();
    void escalate(int signalNumber);
    void runQuitSequence();

    void onSignal(int signalNumber);
    void onSessionsChanged();
    void updateActiveSessions();
    void setState(State state);
    void updateRemainingMs();
    QString pendingDescription() const;
    qint64 remainingDeadlineMs() const;
    void addServiceReport(const ServiceEntry *entry, ServiceReport::Outcome outcome);

    LifecycleManager *const q;
    bool inert = false;
    // Bindable, and changed only in the manager's thread.
    QProperty<State> state{State::Starting};
    QProperty<bool> shuttingDown{false};
    QProperty<int> activeSessions{0};
    QProperty<int> runningServices{0};
    QProperty<QString> reason;
    QProperty<int> remainingMs{-1};
    std::chrono::milliseconds timeout = LifecycleManager::DefaultShutdownTimeout;
    bool autoExit = true;

    std::unique_ptr<SignalBridge> bridge;
    std::shared_ptr<SessionGate> gate;
    int sessionsAtClose = 0;

    std::vector<ServiceEntry *> services; // children of the manager, oldest first

    std::atomic<bool> claimed{false};
    int requestedExitCode = 0;
    Phase phase = Phase::Announce;
    std::vector<ServiceEntry *> stopQueue; // the next to stop is at the back
    ServiceEntry *stopping = nullptr;
    qint64 stoppingBudgetMs = 0;
    QDeadlineTimer deadline;
    QTimer waitTimer;      // the current wait: one service's budget, or the drain
    QTimer remainingTimer; // remainingMs ticks while stopping
    QElapsedTimer totalClock;
    QElapsedTimer phaseClock;
    QEventLoop *quitLoop = nullptr;
    std::unique_ptr<QObject> quitInterceptor;

    ShutdownReport report; // filled in as the shutdown goes
};

} // namespace canstop
