// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_network_export.h>

#include <QHostAddress>
#include <QObject>

#include <chrono>
#include <memory>

namespace canstop {

class LifecycleManager;
class HealthProbePrivate;

/// Health checks for load balancers and orchestrators (Kubernetes probes,
/// HAProxy's httpchk), over HTTP/1.1 on an address and port of its own, so
/// it keeps answering while the servers drain:
///
/// - `GET /readyz`: 200 while the manager is ready (LifecycleManager::isReady():
///   running, nothing holds readiness back); 503 from the instant a shutdown
///   begins or a SIGTERM arrives.
/// - `GET /livez`: 200 while the manager's event loop has turned within
///   livenessBound(); 503 while it is stalled.
/// - `GET /metrics`: the lifecycle's metrics (LifecycleManager::metrics())
///   and each graceful server's (connections accepted and open, its drain),
///   in the Prometheus text format, or OpenMetrics when the request's
///   Accept asks for `application/openmetrics-text`; the deployment guide
///   lists them.
///
/// The first two answer with a small JSON body: ready, state, the
/// shutdown's phase (LifecycleManager::shutdownPhase()), sessions, and the
/// milliseconds left of the shutdown deadline (-1 before one). Any other
/// path or method gets 404, a malformed request 400, one over 8 KiB 431, one
/// not complete within 5 s 408; more than 64 connections at once are closed
/// unanswered. Every answer ends its connection. The probe serves on a
/// thread of its own, so it answers even while the manager's thread is
/// blocked, and it answers until it is destroyed; its connections are not
/// sessions. Make it in the manager's thread, after the manager, so that it
/// is destroyed first.
class CANSTOP_NETWORK_EXPORT HealthProbe : public QObject
{
    Q_OBJECT

public:
    /// livenessBound() unless set: 2 s.
    static constexpr std::chrono::milliseconds DefaultLivenessBound{2000};

    /// Follows LifecycleManager::instance() when `lifecycle` is null.
    explicit HealthProbe(LifecycleManager *lifecycle = nullptr, QObject *parent = nullptr);
    /// Stops answering and waits for the probe's thread.
    ~HealthProbe() override;

    /// Starts answering; false, with a warning, when the address cannot be
    /// bound or the probe already listens.
    bool listen(const QHostAddress &address, quint16 port = 0);
    /// Whether listen() succeeded.
    bool isListening() const;
    /// The port it answers on (the one chosen when listen() was given 0).
    quint16 serverPort() const;

    /// How long the manager's event loop may go without a turn before /livez
    /// fails. From 10 ms to INT_MAX ms, else refused with a warning.
    ///@{
    bool setLivenessBound(std::chrono::milliseconds bound);
    std::chrono::milliseconds livenessBound() const;
    ///@}

private:
    Q_DECLARE_PRIVATE(HealthProbe)
    std::unique_ptr<HealthProbePrivate> d_ptr;
};

} // namespace canstop
