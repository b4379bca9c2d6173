// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "healthprobe_p.h"

#include <canstop/eventdispatcher.h>
#include <canstop/lifecyclemanager.h>

#include "inheritedsockets_p.h"
#include "logging_p.h"
#include "metricstext_p.h"
#include "probeserver_p.h"
#include "servermetrics_p.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>

#include <climits>

namespace canstop {

namespace {

qint64 nowNs()
{
    return QDeadlineTimer::current().deadlineNSecs();
}

} // namespace

void HealthProbePrivate::follow(LifecycleManager *manager)
{
    Q_Q(HealthProbe);
    lifecycle = manager;
    if (!manager) {
        qCWarning(lcNetwork, "HealthProbe without a LifecycleManager: it is never ready");
        return;
    }
    const auto mirror = [this, manager] {
        state = int(manager->state());
        const QDeadlineTimer deadline = manager->shutdownDeadline();
        deadlineNs = deadline.isForever() ? -1 : deadline.deadlineNSecs();
    };
    mirror();
    QObject::connect(manager, &LifecycleManager::stateChanged, q, mirror);
    // An upgrade's new instance answers on the shared socket from now on:
    // this one would say it is not ready, for the same service.
    QObject::connect(manager, &LifecycleManager::stateChanged, q, [this, manager] {
        if (manager->isHandingOver() && server)
            QMetaObject::invokeMethod(server, &QTcpServer::close);
    });
}

QByteArray HealthProbePrivate::body(bool ready) const
{
    const qint64 deadline = deadlineNs;
    const qint64 remaining =
        deadline < 0 ? -1 : std::max<qint64>(0, (deadline - nowNs()) / 1000000);
    const char *stateName = QMetaEnum::fromType<LifecycleManager::State>().valueToKey(state);
    QJsonObject json{{QStringLiteral("ready"), ready},
                     {QStringLiteral("state"), QString::fromLatin1(stateName).toLower()},
                     {QStringLiteral("phase"), lifecycle ? lifecycle->shutdownPhase() : QString()},
                     {QStringLiteral("sessions"), lifecycle ? lifecycle->activeSessions() : 0},
                     {QStringLiteral("remainingMs"), remaining},
                     {QStringLiteral("lastTurnMs"), (nowNs() - lastTurnNs) / 1000000}};
    return QJsonDocument(json).toJson(QJsonDocument::Compact) + '\n';
}

// The HTTP server answers on a thread of its own, reading only atomics and
// the manager's thread-safe calls.
ProbeServer::Answer HealthProbePrivate::answer(const ProbeServer::Request &request) const
{
    std::lock_guard lock(answering);
    const QByteArray &path = request.path;
    if (path == "/metrics")
        return metrics(request.accept);
    const bool ready = lifecycle && lifecycle->isReady();
    if (path == "/readyz")
        return {ready ? 200 : 503, body(ready)};
    if (path == "/livez") {
        const bool alive = nowNs() - lastTurnNs <= boundMs * 1000000;
        return {alive ? 200 : 503, body(ready)};
    }
    return {404, QByteArrayLiteral("{\"error\":\"not found\"}\n")};
}

// OpenMetrics when the scraper asks for it (Prometheus lists it first in
// its Accept), else the Prometheus text format.
ProbeServer::Answer HealthProbePrivate::metrics(const QByteArray &accept) const
{
    const bool open = accept.toLower().contains("application/openmetrics-text");
    const auto format = open ? MetricsText::Format::OpenMetrics : MetricsText::Format::Prometheus;
    QByteArray text;
    if (lifecycle)
        text = lifecycle->metrics(open ? LifecycleManager::MetricsFormat::OpenMetrics
                                       : LifecycleManager::MetricsFormat::Prometheus);
    MetricsText servers(format);
    ServerMetrics::write(servers);
    text += servers.text();
    if (open)
        text += "# EOF\n";
    return {200, text, MetricsText::contentType(format)};
}

HealthProbe::HealthProbe(LifecycleManager *lifecycle, QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<HealthProbePrivate>(this))
{
    Q_D(HealthProbe);
    d->follow(lifecycle ? lifecycle : LifecycleManager::instance());
    d->heartbeat.setTimerType(Qt::PreciseTimer);
    connect(&d->heartbeat, &QTimer::timeout, this, [d] { d->lastTurnNs = nowNs(); });
    d->thread.setObjectName(QStringLiteral("canstop health probe"));
}

HealthProbe::~HealthProbe()
{
    Q_D(HealthProbe);
    d->thread.quit();
    d->thread.wait();
    // The last answer happened before this: QThread::wait() says so, but in
    // a way ThreadSanitizer cannot see through an uninstrumented Qt.
    std::lock_guard lock(d->answering);
}

bool HealthProbe::listen(const QHostAddress &address, quint16 port)
{
    Q_D(HealthProbe);
    if (d->port != 0) {
        qCWarning(lcNetwork, "HealthProbe::listen(): refused: it already listens on port %u",
                  d->port);
        return false;
    }
    // Listening here, then moving to the thread before it starts: all of
    // the set-up happens before the thread exists.
    auto server = std::make_unique<ProbeServer>(
        [d](const ProbeServer::Request &request) { return d->answer(request); });
    // An upgrade's socket for this address, rather than the address in use.
    if (const int fd = InheritedSockets::takeListenerAt(address, port);
        fd >= 0 && server->setSocketDescriptor(fd)) {
        qCInfo(lcNetwork, "health probe: listening on the socket passed for %ls:%u",
               qUtf16Printable(address.toString()), port);
    } else if (!server->listen(address, port)) {
        qCWarning(lcNetwork, "health probe: cannot listen on %ls:%u: %ls",
                  qUtf16Printable(address.toString()), port,
                  qUtf16Printable(server->errorString()));
        return false;
    }
    const quint16 bound = server->serverPort();
    // The heartbeat ticks in this (the manager's) thread: when that thread
    // stalls, it stops, and /livez says so.
    d->lastTurnNs = nowNs();
    d->heartbeat.start(int(std::max<qint64>(HealthProbePrivate::MinHeartbeat.count(),
                                            d->boundMs / HealthProbePrivate::HeartbeatsPerBound)));
    if (d->lifecycle) {
        d->lifecycle->shareListener(this, int(server->socketDescriptor()),
                                    objectName().isEmpty() ? QStringLiteral("health")
                                                           : objectName());
    }
    d->server = server.get();
    server->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, server.release(), &QObject::deleteLater);
    EventDispatcher::installInThread(&d->thread);
    d->thread.start();
    d->port = bound;
    return true;
}

bool HealthProbe::isListening() const
{
    Q_D(const HealthProbe);
    return d->port != 0;
}

quint16 HealthProbe::serverPort() const
{
    Q_D(const HealthProbe);
    return d->port;
}

bool HealthProbe::setLivenessBound(std::chrono::milliseconds bound)
{
    Q_D(HealthProbe);
    if (bound.count() < 10 || bound.count() > INT_MAX) {
        qCWarning(lcNetwork, "setLivenessBound(%lld ms): refused: it is 10 to %d ms",
                  static_cast<long long>(bound.count()), INT_MAX);
        return false;
    }
    d->boundMs = bound.count();
    if (d->heartbeat.isActive())
        d->heartbeat.start(int(std::max<qint64>(5, bound.count() / 4)));
    return true;
}

std::chrono::milliseconds HealthProbe::livenessBound() const
{
    Q_D(const HealthProbe);
    return std::chrono::milliseconds(d->boundMs.load());
}

} // namespace canstop
