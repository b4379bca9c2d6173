// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/lifecyclemanager.h>

#include "exitpath_p.h"
#include "hardstop_p.h"
#include "lifecyclemetrics_p.h"
#include "readiness_p.h"
#include "reportfile_p.h"
#include "savestep_p.h"
#include "serviceregistry_p.h"
#include "sessiongate_p.h"
#include "shutdownsequence_p.h"
#include "signalbridge_p.h"
#include "sleepcycle_p.h"
#include "stopsource_p.h"
#include "systemdnotifier_p.h"
#include "upgradelaunch_p.h"

#include <QPointer>
#include <QProperty>
#include <QTimer>

#include <atomic>
#include <memory>
#include <vector>

namespace canstop {

class LogindLink;

// The public face's data: properties, registration, and the wiring between
// the rooms: the signal bridge, the hard stop, the stop token, readiness,
// the services, the sequence, the exit path, systemd, logind and upgrades.
class LifecycleManagerPrivate
{
    Q_DECLARE_PUBLIC(LifecycleManager)

public:
    using State = LifecycleManager::State;

    explicit LifecycleManagerPrivate(LifecycleManager *manager);

    void startServices();

    // Any thread; the first call wins.
    void request(int exitCode, const QString &why);
    void begin(int exitCode, const QString &why);
    void finished(const ShutdownReport &report);

    void onSignal(int signalNumber);
    void onSessionsChanged();
    void updateActiveSessions();
    void updateRemainingMs();
    void reload();
    void setUpUpgrades();
    void onReadyChanged(bool ready);
    // Hands what changed to the metrics' snapshot.
    void publishMetrics();
    void handOver(qint64 pid);
    QList<UpgradeLaunch::Listener> sharedListeners() const;
    QString statusLine() const;
    bool isInManagerThread() const;
    bool shutdownBegun() const;            // Stopping or Stopped
    std::optional<int> reportCode() const; // once there is a report

    LifecycleManager *const q_ptr;
    bool inert = false;
    // Bindable, and changed only in the manager's thread.
    QProperty<State> state{State::Starting};
    QProperty<bool> shuttingDown{false};
    QProperty<int> activeSessions{0};
    QProperty<int> runningServices{0};
    QProperty<QString> reason;
    QProperty<int> remainingMs{-1};
    std::chrono::milliseconds timeout = LifecycleManager::DefaultShutdownTimeout;

    std::shared_ptr<SessionGate> gate;
    ShutdownSequence sequence;
    // Shared with the hard stop's exit, which may outlive the manager.
    std::shared_ptr<ReportFile> reportFile = std::make_shared<ReportFile>();
    HardStop hardStop;
    StopSource stopSource{HardStop::terminationSignalCount()};
    Readiness readiness;
    SleepCycle sleep;
    SaveStep saveStep;
    LogindLink *logind = nullptr; // a child, once useLogind() found logind
    ExitPath exitPath;
    std::unique_ptr<SignalBridge> bridge;
    std::unique_ptr<SystemdNotifier> systemd;
    // After the sequence and the hard stop: the entries go while those they report to exist.
    ServiceRegistry services;

    // Upgrades: the file to start, as the program was started (argv[0]).
    QString program;
    UpgradeLaunch upgradeLaunch;
    std::chrono::milliseconds upgradeTimeout = LifecycleManager::DefaultUpgradeTimeout;
    int upgradeSignal = 0;
    bool handingOver = false;
    struct SharedListener
    {
        QPointer<QObject> owner;
        int fd;
        QString name;
    };
    std::vector<SharedListener> listeners;
    QString pidFile;
    bool pidFileWritten = false;

    LifecycleMetrics metrics;

    std::atomic<bool> claimed{false};
    QDeadlineTimer deadline = QDeadlineTimer::Forever;
    // remainingMs ticks this often while stopping: smooth enough for a countdown.
    static constexpr std::chrono::milliseconds RemainingTick{250};
    QTimer remainingTimer;
};

} // namespace canstop
