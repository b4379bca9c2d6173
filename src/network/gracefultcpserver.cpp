// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>

#include "connectionguard_p.h"
#include "gracefultcpserver_p.h"
#include "inheritedsockets_p.h"
#include "logging_p.h"
#include "serversocket_p.h"

#include <QChildEvent>
#include <QEvent>
#include <QFile>
#include <QSocketNotifier>
#include <QTcpSocket>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

namespace {

// The kernel's limit (somaxconn): a burst of connects waits in the queue
// rather than in SYN retransmissions, and listen() clamps to it anyway.
int kernelListenBacklog()
{
    QFile file(QStringLiteral("/proc/sys/net/core/somaxconn"));
    bool ok = false;
    const int size = file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toInt(&ok) : 0;
    return ok && size > 0 ? size : SOMAXCONN;
}

} // namespace

GracefulTcpServerPrivate::GracefulTcpServerPrivate(GracefulTcpServer *server)
    : q_ptr(server), manager(server, "GracefulTcpServer", [this] { startDraining(); }),
      connections(server, nullptr, stats),
      acceptor(
          server,
          {[server] { return int(server->socketDescriptor()); },
           [this, server] { return connections.pendingCount() >= server->maxPendingConnections(); },
           [this, server](int fd) {
               server->incomingConnection(fd);
               // No application code runs for a worker's connection, and a
               // TLS connection is new once encrypted.
               if (workers.empty() && !tls)
                   Q_EMIT server->newConnection();
           },
           [this] { return kernelQueueLength(); },
           [this](const QString &what) {
               return manager.get() ? manager.get()->holdSession(what) : SessionToken();
           },
           [this] { closeListener(); },
           [this](int most, std::chrono::milliseconds minimum) {
               for (const auto &worker : workers)
                   worker->shedSilent(most, minimum);
               return connections.shedSilent(most, minimum);
           }})
{
    connections.setBeforeClosingRemaining([this] { closeListenerAtDeadline(); });
    server->setListenBacklogSize(kernelListenBacklog());
    QObject::connect(server, &QObject::objectNameChanged, server, [this] { enterMetrics(); });
}

void GracefulTcpServerPrivate::startDraining()
{
    Q_Q(GracefulTcpServer);
    if (draining)
        return;
    draining = true;
    if (q->isListening() && leavesQueue()) {
        // The socket's owner keeps it, and its queue, for the next instance.
        closeListener();
    } else if (q->isListening()) {
        // What the kernel has queued would be reset by close(): take it
        // first. Out of descriptors the listener stays open meanwhile.
        switch (acceptor.drain()) {
        case Acceptor::Result::Gone:
            return;
        case Acceptor::Result::Stopped:
            closeListener();
            break;
        case Acceptor::Result::All: // closed by drained()
        case Acceptor::Result::Limit:
        case Acceptor::Result::OutOfDescriptors:
            break;
        }
    }
    const QDeadlineTimer deadline = manager.deadline();
    for (const auto &worker : workers)
        worker->startDraining(deadline);
    const qsizetype count = connections.startDraining(deadline);
    const QString which =
        workers.empty()
            ? QStringLiteral("%1 connection(s)").arg(count)
            : QStringLiteral("the connections of %1 worker thread(s)").arg(workers.size());
    const char *listener = q->isListening() ? "listening on until the kernel's queue is taken"
                           : manager.get() && manager.get()->isHandingOver()
                               ? "stopped accepting; the new instance serves the kernel's queue"
                           : leavesQueue() ? "stopped accepting; the kernel's queue stays on the "
                                             "passed socket for the next instance"
                                           : "stopped listening";
    qCInfo(lcNetwork, "%s; closing %ls as they become idle", listener, qUtf16Printable(which));
    Q_EMIT q->drainingStarted({});
}

bool GracefulTcpServerPrivate::leavesQueue() const
{
    LifecycleManager *lifecycle = manager.get();
    if (lifecycle && lifecycle->isHandingOver())
        return true;
    // After an upgrade, this instance is the socket's only server: it takes the queue.
    return stored || (inherited && LifecycleManager::upgradedFrom() == 0);
}

void GracefulTcpServerPrivate::share()
{
    Q_Q(GracefulTcpServer);
    if (LifecycleManager *lifecycle = manager.get()) {
        QString name = listenerName.isEmpty() ? q->objectName() : listenerName;
        lifecycle->shareListener(q, int(q->socketDescriptor()),
                                 name.isEmpty() ? QStringLiteral("tcp") : name);
    }
}

void GracefulTcpServerPrivate::enterMetrics()
{
    Q_Q(GracefulTcpServer);
    if (!q->objectName().isEmpty()) {
        stats->setName(q->objectName());
    } else if (q->isListening()) {
        const QHostAddress address = q->serverAddress();
        const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                                 : address.toString();
        stats->setName(host + QLatin1Char(':') + QString::number(q->serverPort()));
    }
    if (q->isListening())
        ServerMetrics::enter(stats);
}

void GracefulTcpServerPrivate::closeListener()
{
    Q_Q(GracefulTcpServer);
    acceptor.listenerClosed();
    // close() deletes the connections nobody has taken yet; they are
    // still the application's to serve, so they stay pending here.
    while (QTcpSocket *socket = q->QTcpServer::nextPendingConnection())
        connections.keep(socket);
    q->close();
}

int GracefulTcpServerPrivate::kernelQueueLength() const
{
#if defined(Q_OS_LINUX)
    // For a listening socket, tcpi_unacked is the length of its accept queue.
    tcp_info info{};
    socklen_t size = sizeof info;
    if (::getsockopt(static_cast<int>(q_ptr->socketDescriptor()), IPPROTO_TCP, TCP_INFO, &info,
                     &size) == 0)
        return static_cast<int>(info.tcpi_unacked);
#endif
    return -1;
}

void GracefulTcpServerPrivate::closeListenerAtDeadline()
{
    Q_Q(GracefulTcpServer);
    if (!q->isListening())
        return;
    // Still out of descriptors: what the kernel queued is reset by close().
    acceptor.abandonQueue();
    closeListener();
}

GracefulTcpServer::GracefulTcpServer(QObject *parent)
    : QTcpServer(parent), d_ptr(std::make_unique<GracefulTcpServerPrivate>(this))
{
    Q_D(GracefulTcpServer);
    d->manager.followInstance();
}

GracefulTcpServer::GracefulTcpServer(std::nullptr_t)
    : GracefulTcpServer(static_cast<QObject *>(nullptr))
{}

GracefulTcpServer::GracefulTcpServer(LifecycleManager *lifecycle, QObject *parent)
    : QTcpServer(parent), d_ptr(std::make_unique<GracefulTcpServerPrivate>(this))
{
    Q_D(GracefulTcpServer);
    d->manager.use(lifecycle);
}

GracefulTcpServer::~GracefulTcpServer() = default;

DrainOptions GracefulTcpServer::drainOptions() const
{
    return d_func()->options;
}

bool GracefulTcpServer::setDrainOptions(const DrainOptions &options)
{
    d_func()->options = options;
    return true;
}

qint64 GracefulTcpServer::maxPendingOutput() const
{
    return d_func()->options.maxPendingOutput();
}

bool GracefulTcpServer::setMaxPendingOutput(qint64 bytes)
{
    return d_func()->options.setMaxPendingOutput(bytes);
}

qint64 GracefulTcpServer::maxPendingInput() const
{
    return d_func()->options.maxPendingInput();
}

bool GracefulTcpServer::setMaxPendingInput(qint64 bytes)
{
    return d_func()->options.setMaxPendingInput(bytes);
}

GracefulTcpServer::Protocol GracefulTcpServer::protocol() const
{
    return d_func()->options.protocol();
}

bool GracefulTcpServer::setProtocol(Protocol protocol)
{
    return d_func()->options.setProtocol(protocol);
}

std::chrono::milliseconds GracefulTcpServer::idleGrace() const
{
    return d_func()->options.idleGrace();
}

bool GracefulTcpServer::setIdleGrace(std::chrono::milliseconds grace)
{
    return d_func()->options.setIdleGrace(grace);
}

std::chrono::milliseconds GracefulTcpServer::linger() const
{
    return d_func()->options.linger();
}

bool GracefulTcpServer::setLinger(std::chrono::milliseconds linger)
{
    return d_func()->options.setLinger(linger);
}

bool GracefulTcpServer::awaitsPeerClose() const
{
    return d_func()->options.awaitsPeerClose();
}

void GracefulTcpServer::setAwaitPeerClose(bool await)
{
    d_func()->options.setAwaitPeerClose(await);
}

void GracefulTcpServer::markBusy(QTcpSocket *connection)
{
    Q_D(GracefulTcpServer);
    if (ConnectionGuard *guard = d->connections.guardOf(connection))
        guard->setMode(ConnectionGuard::Mode::Busy);
    else
        qCWarning(lcNetwork, "markBusy(): not a connection of this server");
}

void GracefulTcpServer::markIdle(QTcpSocket *connection)
{
    Q_D(GracefulTcpServer);
    if (ConnectionGuard *guard = d->connections.guardOf(connection))
        guard->setMode(ConnectionGuard::Mode::Idle);
    else
        qCWarning(lcNetwork, "markIdle(): not a connection of this server");
}

bool GracefulTcpServer::serveInThreads(int threads, const std::function<void(QTcpSocket *)> &serve)
{
    Q_D(GracefulTcpServer);
    if (threads < 1 || threads > MaxWorkerThreads || !serve) {
        qCWarning(lcNetwork, "serveInThreads(%d): %s", threads,
                  !serve ? "no function to serve the connections" : "expected 1 to 256 threads");
        return false;
    }
    if (!d->workers.empty() || isListening()) {
        qCWarning(lcNetwork, "serveInThreads(%d) refused: %s", threads,
                  isListening() ? "the server is listening already" : "called twice");
        return false;
    }
    for (int i = 0; i < threads; ++i) {
        auto worker = std::make_unique<WorkerThread>(this, serve, d->stats);
        worker->setObjectName(QStringLiteral("canstop worker %1").arg(i + 1));
        worker->startServing();
        d->workers.push_back(std::move(worker));
    }
    return true;
}

int GracefulTcpServer::workerThreads() const
{
    Q_D(const GracefulTcpServer);
    return int(d->workers.size());
}

bool GracefulTcpServer::isDraining() const
{
    Q_D(const GracefulTcpServer);
    return d->draining;
}

void GracefulTcpServer::incomingConnection(qintptr socketDescriptor)
{
    Q_D(GracefulTcpServer);
    d->manager.resolve();
    if (!d->acceptor.isInCharge()) // QTcpServer's own listen() and loop
        d->acceptor.takeOver();
    if (!d->workers.empty()) {
        // Counted from now on, before the session gate may close; named
        // once it is a socket.
        const QString name = QStringLiteral("connection handed to a worker thread");
        SessionToken token = d->acceptor.holdQueued(name);
        if (!token && d->manager.get())
            token = d->manager.get()->holdSession(name);
        WorkerThread &worker = *d->workers[d->nextWorker++ % d->workers.size()];
        worker.adopt(int(socketDescriptor), d->options, std::move(token), d->tls);
        return;
    }
    QTcpSocket *socket = newServerSocket(d->options.protocol(), d->tls != nullptr, this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        qCWarning(lcNetwork, "cannot take an incoming connection: %ls",
                  qUtf16Printable(socket->errorString()));
        delete socket;
        ::close(static_cast<int>(socketDescriptor));
        return;
    }
    const QString name = SocketAccess(socket).name();
    // Taken from the kernel's queue late in a drain: a part of that queue's session.
    SessionToken token = d->acceptor.holdQueued(name);
    if (!token && d->manager.get())
        token = d->manager.get()->holdSession(name);
    d->connections.add(SocketAccess(socket), std::move(token), d->options);
    if (d->tls) {
        d->tls->start(static_cast<QSslSocket *>(socket), [this, socket] {
            addPendingConnection(socket);
            Q_EMIT newConnection();
        });
        return;
    }
    addPendingConnection(socket);
}

void GracefulTcpServer::childEvent(QChildEvent *event)
{
    QTcpServer::childEvent(event);
    Q_D(GracefulTcpServer);
    if (d && event->added()) // d: not while it is being made
        d->acceptor.childAdded([d] {
            d->manager.resolve();
            d->share();
            d->enterMetrics();
        });
}

bool GracefulTcpServer::listen(const QHostAddress &address, quint16 port)
{
    Q_D(GracefulTcpServer);
    d->manager.resolve();
    // An upgrade's (or a service manager's) socket for this address, rather
    // than the address in use.
    if (const int fd = InheritedSockets::takeListenerAt(address, port);
        fd >= 0 && setSocketDescriptor(fd)) {
        qCInfo(lcNetwork, "listening on %ls:%u: the socket passed to this process",
               qUtf16Printable(address.toString()), port);
        d->inherited = true;
    } else if (!QTcpServer::listen(address, port)) {
        return false;
    }
    d->acceptor.takeOver();
    d->share();
    d->enterMetrics();
    return true;
}

bool GracefulTcpServer::listenInherited(const QString &name)
{
    Q_D(GracefulTcpServer);
    d->manager.resolve();
    const int fd = InheritedSockets::takeListener(InheritedSockets::Family::Tcp, name);
    if (fd < 0)
        return false;
    if (!setSocketDescriptor(fd)) {
        qCWarning(lcNetwork, "cannot listen on passed descriptor %d: %ls", fd,
                  qUtf16Printable(errorString()));
        ::close(fd);
        return false;
    }
    d->inherited = true;
    d->listenerName = name;
    d->acceptor.takeOver();
    d->share();
    d->enterMetrics();
    return true;
}

bool GracefulTcpServer::storeListener(const QString &name)
{
    Q_D(GracefulTcpServer);
    d->manager.resolve();
    if (!isListening() || !d->manager.get() ||
        !d->manager.get()->storeFileDescriptor(int(socketDescriptor()), name))
        return false;
    d->stored = true;
    d->listenerName = name;
    d->share();
    return true;
}

bool GracefulTcpServer::isInherited() const
{
    Q_D(const GracefulTcpServer);
    return d->inherited;
}

bool GracefulTcpServer::hasPendingConnections() const
{
    Q_D(const GracefulTcpServer);
    return d->connections.hasKept() || QTcpServer::hasPendingConnections();
}

QTcpSocket *GracefulTcpServer::nextPendingConnection()
{
    Q_D(GracefulTcpServer);
    auto *socket = static_cast<QTcpSocket *>(d->connections.takeKept());
    if (!socket)
        socket = QTcpServer::nextPendingConnection();
    d->connections.taken(socket);
    return socket;
}

} // namespace canstop
