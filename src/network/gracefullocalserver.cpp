// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include "gracefullocalserver_p.h"
#include "inheritedsockets_p.h"
#include "localserversocket_p.h"
#include "logging_p.h"

#include <QChildEvent>
#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace canstop {

GracefulLocalServerPrivate::GracefulLocalServerPrivate(GracefulLocalServer *server)
    : q_ptr(server), manager(server, "GracefulLocalServer", [this] { startDraining(); }),
      connections(server),
      acceptor(
          server,
          {[this] { return listener(); },
           [this, server] { return connections.pendingCount() >= server->maxPendingConnections(); },
           [server](int fd) { server->incomingConnection(quintptr(fd)); },
           [] { return -1; }, // the kernel does not tell for a Unix socket
           [this](const QString &what) {
               return manager.get() ? manager.get()->holdSession(what) : SessionToken();
           },
           [this] { closeListener(); },
           [this](int most, std::chrono::milliseconds minimum) {
               return connections.shedSilent(most, minimum);
           }})
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
    if (q->isListening() && (inherited || stored)) {
        // The socket's owner keeps it, its file and its queue, for the next instance.
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
    const qsizetype count = connections.startDraining(manager.deadline());
    qCInfo(lcNetwork, "%s; closing %lld connection(s) as they become idle",
           q->isListening()      ? "listening on a local socket until the kernel's queue is taken"
           : inherited || stored ? "stopped accepting; the kernel's queue stays on the passed "
                                   "local socket for the next instance"
                                 : "stopped listening on a local socket",
           static_cast<long long>(count));
    Q_EMIT q->drainingStarted({});
}

void GracefulLocalServerPrivate::closeListener()
{
    Q_Q(GracefulLocalServer);
    acceptor.listenerClosed();
    if (ownListener < 0) {
        q->QLocalServer::close(); // and removes the socket's file: new clients find no server
        return;
    }
    delete std::exchange(ownNotifier, nullptr);
    ::close(std::exchange(ownListener, -1)); // its file stays, for the socket's owner
}

void GracefulLocalServerPrivate::adopt(int fd)
{
    Q_Q(GracefulLocalServer);
    ownListener = fd;
    ownNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, q);
    acceptor.takeOver();
}

bool GracefulLocalServerPrivate::takeFromQt()
{
    Q_Q(GracefulLocalServer);
    const int fd = ::fcntl(int(q->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        qCWarning(lcNetwork, "cannot keep the local socket's file: %s", std::strerror(errno));
        return false;
    }
    // A second name keeps the file through QLocalServer::close(), which
    // removes the first; for that instant a client finds no file.
    const QByteArray file = QFile::encodeName(q->QLocalServer::fullServerName());
    const QByteArray spare = file + ".canstop-kept";
    ::unlink(spare.constData()); // left by a process killed in between
    const bool linked = !file.isEmpty() && ::link(file.constData(), spare.constData()) == 0;
    acceptor.listenerClosed();
    q->QLocalServer::close();
    if (linked && ::rename(spare.constData(), file.constData()) != 0)
        qCWarning(lcNetwork, "cannot keep the local socket's file %s: %s", file.constData(),
                  std::strerror(errno));
    adopt(fd);
    return true;
}

int GracefulLocalServerPrivate::listener() const
{
    return ownListener >= 0 ? ownListener : int(q_ptr->socketDescriptor());
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

GracefulLocalServer::~GracefulLocalServer()
{
    Q_D(GracefulLocalServer);
    if (d->ownListener >= 0)
        d->closeListener();
}

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
    if (d->ownListener >= 0) {
        qCWarning(lcNetwork, "GracefulLocalServer::listen(): refused: already listening");
        return false;
    }
    if (!QLocalServer::listen(name))
        return false;
    d->acceptor.takeOver();
    return true;
}

bool GracefulLocalServer::listen(qintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (d->ownListener >= 0) {
        qCWarning(lcNetwork, "GracefulLocalServer::listen(): refused: already listening");
        return false;
    }
    if (!QLocalServer::listen(socketDescriptor))
        return false;
    d->acceptor.takeOver();
    return true;
}

bool GracefulLocalServer::listenInherited(const QString &name)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (isListening()) {
        qCWarning(lcNetwork, "GracefulLocalServer::listenInherited(): refused: already listening");
        return false;
    }
    const int fd = InheritedSockets::takeListener(InheritedSockets::Family::Local, name);
    if (fd < 0)
        return false;
    d->inherited = true;
    d->adopt(fd);
    return true;
}

bool GracefulLocalServer::storeListener(const QString &name)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (!isListening() || !d->manager.get() ||
        !d->manager.get()->storeFileDescriptor(d->listener(), name))
        return false;
    if (d->ownListener < 0 && !d->takeFromQt())
        return false;
    d->stored = true;
    return true;
}

bool GracefulLocalServer::isInherited() const
{
    Q_D(const GracefulLocalServer);
    return d->inherited;
}

bool GracefulLocalServer::isListening() const
{
    Q_D(const GracefulLocalServer);
    return d->ownListener >= 0 || QLocalServer::isListening();
}

QString GracefulLocalServer::fullServerName() const
{
    Q_D(const GracefulLocalServer);
    if (d->ownListener < 0)
        return QLocalServer::fullServerName();
    sockaddr_un address{};
    socklen_t size = sizeof address;
    if (::getsockname(d->ownListener, reinterpret_cast<sockaddr *>(&address), &size) != 0 ||
        size <= offsetof(sockaddr_un, sun_path) || address.sun_path[0] == '\0')
        return QString(); // unnamed, or in the abstract namespace
    return QFile::decodeName(
        QByteArray(address.sun_path,
                   int(::strnlen(address.sun_path, size - offsetof(sockaddr_un, sun_path)))));
}

void GracefulLocalServer::close()
{
    Q_D(GracefulLocalServer);
    if (d->ownListener >= 0)
        d->closeListener();
    else
        QLocalServer::close();
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
