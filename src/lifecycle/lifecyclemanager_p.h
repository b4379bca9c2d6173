// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/lifecyclemanager.h>

#include "hardstop_p.h"
#include "serviceentry_p.h"
#include "sessiongate_p.h"
#include "shutdownsequence_p.h"
#include "signalbridge_p.h"
#include "systemdnotifier_p.h"

#include <QProperty>
#include <QTimer>

#include <atomic>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QEventLoop;
QT_END_NAMESPACE

namespace canstop {

// The public face's data: properties, registration, and the wiring between
// the signal bridge, the hard stop, the services and the sequence.
class LifecycleManagerPrivate
{
    Q_DECLARE_PUBLIC(LifecycleManager)

public:
    using State = LifecycleManager::State;

    explicit LifecycleManagerPrivate(LifecycleManager *manager);

    bool addService(QObject *service, const ServiceOptions &options);
    void startServices();
    void countRunningServices();
    void tellSystemdCountsChanged(bool fewer);

    // Any thread; the first call wins.
    void request(int exitCode, const QString &reason);
    void begin(int exitCode, const QString &reason);
    void finished(const ShutdownReport &report);
    void runQuitSequence();

    void onSignal(int signalNumber);
    void onSessionsChanged();
    void updateActiveSessions();
    void updateRemainingMs();
    void updateReady();
    void reload();
    QString statusLine() const;
    bool isInManagerThread() const;

    LifecycleManager *const q_ptr;
    bool inert = false;
    // Bindable, and changed only in the manager's thread.
    QProperty<State> state{State::Starting};
    QProperty<bool> shuttingDown{false};
    QProperty<int> activeSessions{0};
    QProperty<int> runningServices{0};
    QProperty<QString> reason;
    QProperty<int> remainingMs{-1};
    QProperty<bool> ready{false};
    std::atomic<bool> readyNow{false}; // ready, for other threads
    // Sessions refused since the gate closed: the first is logged, the
    // count once the shutdown ends, later ones not at all (callers are told
    // by the return value).
    std::atomic<int> refusals{0};
    QStringList readinessHolds; // may name the same thing twice
    bool reloading = false;
    std::chrono::milliseconds timeout = LifecycleManager::DefaultShutdownTimeout;
    std::chrono::milliseconds lameDuck{0};
    bool autoExit = true;

    std::shared_ptr<SessionGate> gate;
    ShutdownSequence sequence;
    HardStop hardStop;
    std::unique_ptr<SignalBridge> bridge;
    std::unique_ptr<SystemdNotifier> systemd;
    std::vector<ServiceEntry *> services; // children of the manager, oldest first

    std::atomic<bool> claimed{false};
    QDeadlineTimer deadline = QDeadlineTimer::Forever;
    QTimer remainingTimer; // remainingMs ticks while stopping
    QEventLoop *quitLoop = nullptr;
    // exec() returned a code this shutdown's report may contradict, and
    // nobody has asked exitCode() for the right one yet.
    mutable bool execResultUnreconciled = false;
    std::unique_ptr<QObject> quitInterceptor;
};

} // namespace canstop
