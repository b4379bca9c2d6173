// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include "gracefullocalserver_p.h"
#include "localserversocket_p.h"
#include "logging_p.h"

#include <QChildEvent>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

GracefulLocalServerPrivate::GracefulLocalServerPrivate(GracefulLocalServer *server)
    : q_ptr(server), manager(server, "GracefulLocalServer", [this] { startDraining(); }),
      connections(server),
      acceptor(
          server,
          {[server] { return int(server->socketDescriptor()); },
           [this, server] { return connections.pendingCount() >= server->maxPendingConnections(); },
           [server](int fd) { server->incomingConnection(quintptr(fd)); },
           [] { return -1; }, // the kernel does not tell for a Unix socket
           [this](const QString &what) {
               return manager.get() ? manager.get()->holdSession(what) : SessionToken();
           },
           [this] { closeListener(); }})
{
    connections.setBeforeClosingRemaining([this] {
        Q_Q(GracefulLocalServer);
        if (!q->isListening())
            return;
        // Still out of descriptors: what the kernel queued is reset by close().
        acceptor.abandonQueue();
        closeListener();
    });
}

void GracefulLocalServerPrivate::startDraining()
{
    Q_Q(GracefulLocalServer);
    if (draining)
        return;
    draining = true;
    if (q->isListening()) {
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
    const qsizetype count = connections.startDraining(manager.deadline());
    qCInfo(lcNetwork, "%s; closing %lld connection(s) as they become idle",
           q->isListening() ? "listening on a local socket until the kernel's queue is taken"
                            : "stopped listening on a local socket",
           static_cast<long long>(count));
    Q_EMIT q->drainingStarted({});
}

void GracefulLocalServerPrivate::closeListener()
{
    Q_Q(GracefulLocalServer);
    acceptor.listenerClosed();
    q->close(); // and removes the socket's file: new clients find no server
}

GracefulLocalServer::GracefulLocalServer(QObject *parent)
    : QLocalServer(parent), d_ptr(std::make_unique<GracefulLocalServerPrivate>(this))
{
    Q_D(GracefulLocalServer);
    d->manager.followInstance();
}

GracefulLocalServer::GracefulLocalServer(std::nullptr_t)
    : GracefulLocalServer(static_cast<QObject *>(nullptr))
{}

GracefulLocalServer::GracefulLocalServer(LifecycleManager *lifecycle, QObject *parent)
    : QLocalServer(parent), d_ptr(std::make_unique<GracefulLocalServerPrivate>(this))
{
    Q_D(GracefulLocalServer);
    d->manager.use(lifecycle);
}

GracefulLocalServer::~GracefulLocalServer() = default;

DrainOptions GracefulLocalServer::drainOptions() const
{
    return d_func()->options;
}

bool GracefulLocalServer::setDrainOptions(const DrainOptions &options)
{
    if (options.protocol() != DrainOptions::Protocol::Raw) {
        qCWarning(lcNetwork, "GracefulLocalServer::setDrainOptions(): refused: Protocol::Http1 "
                             "needs a TCP socket");
        return false;
    }
    d_func()->options = options;
    return true;
}

qint64 GracefulLocalServer::maxPendingOutput() const
{
    return d_func()->options.maxPendingOutput();
}

bool GracefulLocalServer::setMaxPendingOutput(qint64 bytes)
{
    return d_func()->options.setMaxPendingOutput(bytes);
}

qint64 GracefulLocalServer::maxPendingInput() const
{
    return d_func()->options.maxPendingInput();
}

bool GracefulLocalServer::setMaxPendingInput(qint64 bytes)
{
    return d_func()->options.setMaxPendingInput(bytes);
}

std::chrono::milliseconds GracefulLocalServer::idleGrace() const
{
    return d_func()->options.idleGrace();
}

bool GracefulLocalServer::setIdleGrace(std::chrono::milliseconds grace)
{
    return d_func()->options.setIdleGrace(grace);
}

std::chrono::milliseconds GracefulLocalServer::linger() const
{
    return d_func()->options.linger();
}

bool GracefulLocalServer::setLinger(std::chrono::milliseconds linger)
{
    return d_func()->options.setLinger(linger);
}

void GracefulLocalServer::markBusy(QLocalSocket *connection)
{
    Q_D(GracefulLocalServer);
    if (ConnectionGuard *guard = d->connections.guardOf(connection))
        guard->setMode(ConnectionGuard::Mode::Busy);
    else
        qCWarning(lcNetwork, "markBusy(): not a connection of this server");
}

void GracefulLocalServer::markIdle(QLocalSocket *connection)
{
    Q_D(GracefulLocalServer);
    if (ConnectionGuard *guard = d->connections.guardOf(connection))
        guard->setMode(ConnectionGuard::Mode::Idle);
    else
        qCWarning(lcNetwork, "markIdle(): not a connection of this server");
}

bool GracefulLocalServer::listen(const QString &name)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (!QLocalServer::listen(name))
        return false;
    d->acceptor.takeOver();
    return true;
}

bool GracefulLocalServer::listen(qintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (!QLocalServer::listen(socketDescriptor))
        return false;
    d->acceptor.takeOver();
    return true;
}

bool GracefulLocalServer::isDraining() const
{
    Q_D(const GracefulLocalServer);
    return d->draining;
}

bool GracefulLocalServer::hasPendingConnections() const
{
    Q_D(const GracefulLocalServer);
    return d->connections.hasKept();
}

QLocalSocket *GracefulLocalServer::nextPendingConnection()
{
    Q_D(GracefulLocalServer);
    auto *socket = static_cast<QLocalSocket *>(d->connections.takeKept());
    if (socket) {
        d->connections.taken(socket);
        d->acceptor.taken();
    }
    return socket;
}

void GracefulLocalServer::childEvent(QChildEvent *event)
{
    QLocalServer::childEvent(event);
    Q_D(GracefulLocalServer);
    if (d && event->added()) // d: not while it is being made
        d->acceptor.childAdded([d] { d->manager.resolve(); });
}

void GracefulLocalServer::incomingConnection(quintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (!d->acceptor.isInCharge()) // QLocalServer's own listen() and loop
        d->acceptor.takeOver();
    auto *socket = new LocalServerSocket(this);
    if (!socket->setSocketDescriptor(qintptr(socketDescriptor))) {
        qCWarning(lcNetwork, "cannot take an incoming local connection: %ls",
                  qUtf16Printable(socket->errorString()));
        delete socket;
        ::close(int(socketDescriptor));
        return;
    }
    // Taken from the kernel's queue late in a drain: a part of that queue's session.
    const QString name = SocketAccess(socket).name();
    SessionToken token = d->acceptor.holdQueued(name);
    if (!token && d->manager.get())
        token = d->manager.get()->holdSession(name);
    d->connections.add(SocketAccess(socket), std::move(token), d->options);
    d->connections.keep(socket);
    Q_EMIT newConnection();
}

} // namespace canstop
