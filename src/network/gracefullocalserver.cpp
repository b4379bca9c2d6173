// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include "gracefullocalserver_p.h"
#include "localserversocket_p.h"
#include "logging_p.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

GracefulLocalServerPrivate::GracefulLocalServerPrivate(GracefulLocalServer *server)
    : q_ptr(server), manager(server, "GracefulLocalServer", [this] { startDraining(); }),
      connections(server)
{}

void GracefulLocalServerPrivate::startDraining()
{
    Q_Q(GracefulLocalServer);
    if (draining)
        return;
    draining = true;
    if (q->isListening()) {
        // What the kernel has queued would be reset by close(): take it first.
        const int listener = static_cast<int>(q->socketDescriptor());
        // Qt's listening socket blocks: accept() must not wait for more.
        ::fcntl(listener, F_SETFL, ::fcntl(listener, F_GETFL) | O_NONBLOCK);
        const QPointer<GracefulLocalServer> alive(q);
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
                continue;
            if (fd < 0)
                break; // empty; or out of descriptors, where close() resets what is left
            // Its newConnection() slots may close this server, make it listen
            // elsewhere, or delete it, as Qt's own loop allows.
            q->incomingConnection(quintptr(fd));
            if (!alive)
                return;
            if (!q->isListening() || q->socketDescriptor() != listener)
                break;
        }
        q->close(); // and removes the socket's file: new clients find no server
    }
    const qsizetype count = connections.startDraining(manager.deadline());
    qCInfo(lcNetwork,
           "stopped listening on a local socket; closing %lld connection(s) as they "
           "become idle",
           static_cast<long long>(count));
    Q_EMIT q->drainingStarted({});
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
    return QLocalServer::listen(name);
}

bool GracefulLocalServer::listen(qintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    return QLocalServer::listen(socketDescriptor);
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
    if (socket)
        d->connections.taken(socket);
    return socket;
}

void GracefulLocalServer::incomingConnection(quintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    auto *socket = new LocalServerSocket(this);
    if (!socket->setSocketDescriptor(qintptr(socketDescriptor))) {
        qCWarning(lcNetwork, "cannot take an incoming local connection: %ls",
                  qUtf16Printable(socket->errorString()));
        delete socket;
        ::close(int(socketDescriptor));
        return;
    }
    SessionToken token;
    if (d->manager.get())
        token = d->manager.get()->holdSession(SocketAccess(socket).name());
    d->connections.add(SocketAccess(socket), std::move(token), d->options);
    d->connections.keep(socket);
    Q_EMIT newConnection();
}

} // namespace canstop
