// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include "gracefullocalserver_p.h"
#include "inheritedsockets_p.h"
#include "localserversocket_p.h"
#include "logging_p.h"

#include <QChildEvent>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QTemporaryDir>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace canstop {

GracefulLocalServerPrivate::GracefulLocalServerPrivate(GracefulLocalServer *server)
    : q_ptr(server), manager(server, "GracefulLocalServer", [this] { startDraining(); }),
      connections(server, nullptr, stats),
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
    QObject::connect(server, &QObject::objectNameChanged, server, [this] { enterMetrics(); });
}

void GracefulLocalServerPrivate::enterMetrics()
{
    Q_Q(GracefulLocalServer);
    if (!q->isListening())
        return;
    stats->setName(q->objectName().isEmpty() ? q->fullServerName() : q->objectName());
    ServerMetrics::enter(stats);
}

void GracefulLocalServerPrivate::startDraining()
{
    Q_Q(GracefulLocalServer);
    if (draining)
        return;
    draining = true;
    if (q->isListening() && leavesQueue()) {
        // The socket's other holder keeps it, its file and its queue.
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
    const bool handingOver = manager.get() && manager.get()->isHandingOver();
    const qsizetype count = connections.startDraining(manager.deadline());
    qCInfo(lcNetwork, "%s; closing %lld connection(s) as they become idle",
           q->isListening() ? "listening on a local socket until the kernel's queue is taken"
           : handingOver && (inherited || stored)
               ? "stopped accepting; the new instance serves the kernel's queue"
           : handingOver   ? "stopped listening on a local socket; the new instance's socket "
                             "answers at its file"
           : leavesQueue() ? "stopped accepting; the kernel's queue stays on the passed local "
                             "socket for the next instance"
                           : "stopped listening on a local socket",
           static_cast<long long>(count));
    Q_EMIT q->drainingStarted({});
}

bool GracefulLocalServerPrivate::leavesQueue() const
{
    // Only a passed or stored socket goes along with an upgrade (share());
    // after one, this instance is its only server and takes the queue.
    const bool handingOver = manager.get() && manager.get()->isHandingOver();
    return stored || (inherited && (handingOver || LifecycleManager::upgradedFrom() == 0));
}

void GracefulLocalServerPrivate::share()
{
    Q_Q(GracefulLocalServer);
    if (LifecycleManager *lifecycle = manager.get()) {
        const QString shared = listenerName.isEmpty() ? q->objectName() : listenerName;
        lifecycle->shareListener(q, ownListener,
                                 shared.isEmpty() ? QStringLiteral("local") : shared);
    }
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
    ::close(std::exchange(ownListener, -1));
    if (!inherited && !stored)
        file.removeIfUnchanged(); // a new instance's socket there stays
    file = SocketFile();
    name.clear();
    path.clear();
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
    // A second name keeps the file through QLocalServer::close(), which
    // removes the first; for that instant a client finds no file.
    const QString qtPath = q->QLocalServer::fullServerName();
    const QByteArray encoded = QFile::encodeName(qtPath);
    const QByteArray spare = encoded + ".canstop-kept";
    ::unlink(spare.constData()); // left by a process killed in between
    if (encoded.isEmpty() || ::link(encoded.constData(), spare.constData()) != 0) {
        if (!encoded.isEmpty() && errno != ENOENT) // ENOENT: no file (the abstract namespace)
            qCWarning(lcNetwork, "cannot keep the local socket's file %s: %s", encoded.constData(),
                      std::strerror(errno));
        return false;
    }
    const int fd = ::fcntl(int(q->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        qCWarning(lcNetwork, "cannot keep the local socket %s: %s", encoded.constData(),
                  std::strerror(errno));
        ::unlink(spare.constData());
        return false;
    }
    const QString qtName = q->QLocalServer::serverName();
    acceptor.listenerClosed();
    q->QLocalServer::close();
    if (::rename(spare.constData(), encoded.constData()) != 0)
        qCWarning(lcNetwork, "cannot keep the local socket's file %s: %s", encoded.constData(),
                  std::strerror(errno));
    name = qtName;
    path = qtPath;
    adopt(fd);
    return true;
}

void GracefulLocalServerPrivate::nameFromSocket(int fd)
{
    sockaddr_un address{};
    socklen_t size = sizeof address;
    path.clear();
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) == 0 &&
        size > offsetof(sockaddr_un, sun_path) && address.sun_path[0] != '\0') {
        path = QFile::decodeName(QByteArray(
            address.sun_path,
            qsizetype(::strnlen(address.sun_path, size - offsetof(sockaddr_un, sun_path)))));
    }
    // As QLocalServer names a socket it is given.
    name = path.mid(path.lastIndexOf(u'/') + 1);
    if (name.isEmpty())
        name = path;
}

int GracefulLocalServerPrivate::listener() const
{
    return ownListener >= 0 ? ownListener : int(q_ptr->QLocalServer::socketDescriptor());
}

SocketFile::SocketFile(const QString &path) : m_path(QFile::encodeName(path))
{
    struct stat status
    {
    };
    if (m_path.isEmpty() || ::stat(m_path.constData(), &status) != 0 || !S_ISSOCK(status.st_mode)) {
        m_path.clear();
        return;
    }
    m_device = status.st_dev;
    m_inode = status.st_ino;
}

void SocketFile::removeIfUnchanged() const
{
    struct stat status
    {
    };
    if (!m_path.isEmpty() && ::stat(m_path.constData(), &status) == 0 &&
        status.st_dev == m_device && status.st_ino == m_inode)
        ::unlink(m_path.constData());
}

namespace {

// QLocalServer's rule: a name that is not a path is a file in the temporary directory.
QString pathOf(const QString &name)
{
    return name.startsWith(u'/') ? name : QDir::cleanPath(QDir::tempPath()) + u'/' + name;
}

// A listening socket that replaces the file at `path` in one step (bound
// beside it, then renamed over it), so that a client connecting meanwhile
// finds the old socket or this one, never no file; with QLocalServer's
// access options. -1, with one warning, when it cannot.
int bindReplacing(const QString &path, QLocalServer::SocketOptions options, int backlog)
{
    QTemporaryDir dir(QFileInfo(path).absolutePath() + QStringLiteral("/.canstop-XXXXXX"));
    const QByteArray bound = QFile::encodeName(dir.filePath(QStringLiteral("s")));
    const QByteArray target = QFile::encodeName(path);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (!dir.isValid() || size_t(bound.size()) >= sizeof address.sun_path) {
        qCWarning(lcNetwork, "cannot make a socket beside %s: %ls", target.constData(),
                  qUtf16Printable(dir.isValid() ? QStringLiteral("its path is too long")
                                                : dir.errorString()));
        return -1;
    }
    std::memcpy(address.sun_path, bound.constData(), size_t(bound.size()));
    mode_t mode = 0;
    if (options & QLocalServer::UserAccessOption)
        mode |= S_IRWXU;
    if (options & QLocalServer::GroupAccessOption)
        mode |= S_IRWXG;
    if (options & QLocalServer::OtherAccessOption)
        mode |= S_IRWXO;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 ||
        (mode != 0 && ::chmod(bound.constData(), mode) != 0) || ::listen(fd, backlog) != 0 ||
        ::rename(bound.constData(), target.constData()) != 0) {
        qCWarning(lcNetwork, "cannot put a new socket at %s: %s", target.constData(),
                  std::strerror(errno));
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

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
    // After an upgrade the old instance serves at this name until this one
    // is ready: a socket of this instance's own takes the file over in one
    // step, and the old one serves what it had queued.
    const QString path = pathOf(name);
    if (LifecycleManager::upgradedFrom() != 0 &&
        !socketOptions().testFlag(AbstractNamespaceOption) && QFileInfo::exists(path)) {
        if (const int fd = bindReplacing(path, socketOptions(), listenBacklogSize()); fd >= 0) {
            qCInfo(lcNetwork, "listening on %ls: its file now names this instance's socket",
                   qUtf16Printable(path));
            d->name = name;
            d->path = path;
            d->file = SocketFile(path);
            d->adopt(fd);
            d->enterMetrics();
            return true;
        }
    }
    if (!QLocalServer::listen(name))
        return false;
    // Served by this server from here on: QLocalServer's close() would
    // remove the file even when it names another instance's socket.
    if (d->takeFromQt())
        d->file = SocketFile(d->path);
    else
        d->acceptor.takeOver();
    d->enterMetrics();
    return true;
}

bool GracefulLocalServer::listen(qintptr socketDescriptor)
{
    Q_D(GracefulLocalServer);
    d->manager.resolve();
    if (isListening()) {
        qCWarning(lcNetwork, "GracefulLocalServer::listen(): refused: already listening");
        return false;
    }
    // As QLocalServer takes a descriptor, its file removed when it stops.
    const int fd = int(socketDescriptor);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    d->nameFromSocket(fd);
    d->file = SocketFile(d->path);
    d->adopt(fd);
    d->enterMetrics();
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
    d->listenerName = name;
    d->nameFromSocket(fd);
    d->adopt(fd);
    d->share();
    d->enterMetrics();
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
    d->listenerName = name;
    d->share();
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

QString GracefulLocalServer::serverName() const
{
    Q_D(const GracefulLocalServer);
    return d->ownListener >= 0 ? d->name : QLocalServer::serverName();
}

QString GracefulLocalServer::fullServerName() const
{
    Q_D(const GracefulLocalServer);
    return d->ownListener >= 0 ? d->path : QLocalServer::fullServerName();
}

qintptr GracefulLocalServer::socketDescriptor() const
{
    Q_D(const GracefulLocalServer);
    return d->listener();
}

bool GracefulLocalServer::waitForNewConnection(int msec, bool *timedOut)
{
    Q_D(GracefulLocalServer);
    if (timedOut)
        *timedOut = false;
    if (d->ownListener < 0)
        return QLocalServer::waitForNewConnection(msec, timedOut);
    if (hasPendingConnections())
        return true;
    pollfd listener{d->ownListener, POLLIN, 0};
    int ready = 0;
    do {
        ready = ::poll(&listener, 1, msec);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0 && timedOut)
        *timedOut = true;
    if (ready > 0) {
        const int fd = ::accept4(d->ownListener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0)
            incomingConnection(quintptr(fd));
    }
    return hasPendingConnections();
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
