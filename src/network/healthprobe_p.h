// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/healthprobe.h>

#include "probeserver_p.h"

#include <QPointer>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <mutex>

namespace canstop {

// The probe's two halves: this object, in the manager's thread, keeps the
// heartbeat and mirrors what the answers need into atomics; the HTTP
// server runs on `thread` and reads only those atomics and the manager's
// thread-safe calls.
class HealthProbePrivate
{
    Q_DECLARE_PUBLIC(HealthProbe)

public:
    explicit HealthProbePrivate(HealthProbe *probe) : q_ptr(probe) {}

    // The heartbeat ticks this many times within the liveness bound, so a
    // tick that is merely late does not read as a stalled thread;
    static constexpr int HeartbeatsPerBound = 4;
    // and never more often than this, however short the bound.
    static constexpr std::chrono::milliseconds MinHeartbeat{5};

    void follow(LifecycleManager *manager);
    ProbeServer::Answer answer(const ProbeServer::Request &request) const;
    QByteArray body(bool ready) const;
    ProbeServer::Answer metrics(const QByteArray &accept) const;

    HealthProbe *const q_ptr;
    LifecycleManager *lifecycle = nullptr;
    std::atomic<int> state{0};          // LifecycleManager::State
    std::atomic<qint64> deadlineNs{-1}; // QDeadlineTimer::deadlineNSecs() while stopping
    std::atomic<qint64> lastTurnNs{0};  // the manager's loop, last seen turning
    std::atomic<qint64> boundMs{HealthProbe::DefaultLivenessBound.count()};
    mutable std::mutex answering; // held while the server's thread answers
    QTimer heartbeat;
    QThread thread;
    QPointer<ProbeServer> server; // lives on `thread`
    quint16 port = 0;
};

} // namespace canstop
