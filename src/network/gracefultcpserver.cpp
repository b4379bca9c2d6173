#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>

#include "connectionguard_p.h"
#include "gracefultcpserver_p.h"
#include "logging_p.h"
#include "socketlinger_p.h"

#include <QTcpSocket>

#include <cerrno>
#include <fcntl.h>
#include <limits>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

GracefulTcpServerPrivate::GracefulTcpServerPrivate(GracefulTcpServer *server,
                                                   LifecycleManager *manager)
    : q_ptr(server), lifecycle(manager)
{
    deadlineTimer.setSingleShot(true);
    QObject::connect(&deadlineTimer, &QTimer::timeout, server, [this] { closeRemaining(); });
    if (!manager) {
        qCWarning(lcNetwork, "GracefulTcpServer without a LifecycleManager: connections are not "
                             "drained at shutdown");
        return;
    }
    // Direct when in the manager's thread: the backlog is taken, and
    // counted, before the session gate closes.
    QObject::connect(manager, &LifecycleManager::shutdownRequested, server,
                     [this] { startDraining(); });
}

QList<ConnectionGuard *> GracefulTcpServerPrivate::guards() const
{
    QList<ConnectionGuard *> result;
    for (QTcpSocket *socket : sockets) {
        if (ConnectionGuard *guard = ConnectionGuard::of(socket, q_ptr))
            result.append(guard);
    }
    return result;
}

void GracefulTcpServerPrivate::startDraining()
{
    Q_Q(GracefulTcpServer);
    if (draining)
        return;
    draining = true;
    if (q->isListening()) {
        acceptBacklog();
        q->close();
    }
    const QList<ConnectionGuard *> connections = guards();
    qCInfo(lcNetwork, "stopped listening; closing %lld connection(s) as they become idle",
           static_cast<long long>(connections.size()));
    for (ConnectionGuard *guard : connections)
        guard->drain();
    Q_EMIT q->drainingStarted();

    // Close what is still busy early enough for its linger to end by the deadline.
    if (const QDeadlineTimer deadline =
            lifecycle ? lifecycle->shutdownDeadline() : QDeadlineTimer(QDeadlineTimer::Forever);
        !deadline.isForever()) {
        const qint64 left = deadline.remainingTime() - lingerTime.count() - 100;
        deadlineTimer.start(static_cast<int>(std::max<qint64>(0, left)));
    }
}

void GracefulTcpServerPrivate::acceptBacklog()
{
    Q_Q(GracefulTcpServer);
    // Connections the kernel has accepted but Qt has not taken yet would be
    // reset by close(): take them now and serve them like any other.
    const int listener = static_cast<int>(q->socketDescriptor());
    for (;;) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd >= 0)
            ::fcntl(fd, F_SETFD, FD_CLOEXEC); // QTcpSocket makes it non-blocking
#endif
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            break; // EAGAIN: the backlog is empty
        }
        q->incomingConnection(fd);
        Q_EMIT q->newConnection();
    }
}

void GracefulTcpServerPrivate::closeRemaining()
{
    for (ConnectionGuard *guard : guards())
        guard->closeNow();
}

GracefulTcpServer::GracefulTcpServer(QObject *parent)
    : GracefulTcpServer(LifecycleManager::instance(), parent)
{}

GracefulTcpServer::GracefulTcpServer(std::nullptr_t)
    : GracefulTcpServer(static_cast<QObject *>(nullptr))
{}

GracefulTcpServer::GracefulTcpServer(LifecycleManager *lifecycle, QObject *parent)
    : QTcpServer(parent), d_ptr(std::make_unique<GracefulTcpServerPrivate>(this, lifecycle))
{}

GracefulTcpServer::~GracefulTcpServer() = default;

qint64 GracefulTcpServer::maxPendingOutput() const
{
    Q_D(const GracefulTcpServer);
    return d->maxPendingOutput;
}

bool GracefulTcpServer::setMaxPendingOutput(qint64 bytes)
{
    Q_D(GracefulTcpServer);
    if (bytes <= 0 || bytes > std::numeric_limits<int>::max()) {
        qCWarning(lcNetwork, "maxPendingOutput of %lld refused: it must be between 1 and %d",
                  static_cast<long long>(bytes), std::numeric_limits<int>::max());
        return false;
    }
    d->maxPendingOutput = bytes;
    return true;
}

std::chrono::milliseconds GracefulTcpServer::linger() const
{
    Q_D(const GracefulTcpServer);
    return d->lingerTime;
}

bool GracefulTcpServer::setLinger(std::chrono::milliseconds linger)
{
    Q_D(GracefulTcpServer);
    if (linger.count() < 0) {
        qCWarning(lcNetwork, "linger of %lld ms refused: it must not be negative",
                  static_cast<long long>(linger.count()));
        return false;
    }
    d->lingerTime = linger;
    return true;
}

void GracefulTcpServer::markBusy(QTcpSocket *connection)
{
    if (ConnectionGuard *guard = ConnectionGuard::of(connection, this))
        guard->setMode(ConnectionGuard::Mode::Busy);
    else
        qCWarning(lcNetwork, "markBusy(): not a connection of this server");
}

void GracefulTcpServer::markIdle(QTcpSocket *connection)
{
    if (ConnectionGuard *guard = ConnectionGuard::of(connection, this))
        guard->setMode(ConnectionGuard::Mode::Idle);
    else
        qCWarning(lcNetwork, "markIdle(): not a connection of this server");
}

bool GracefulTcpServer::isDraining() const
{
    Q_D(const GracefulTcpServer);
    return d->draining;
}

void GracefulTcpServer::incomingConnection(qintptr socketDescriptor)
{
    Q_D(GracefulTcpServer);
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        qCWarning(lcNetwork, "cannot take an incoming connection: %ls",
                  qUtf16Printable(socket->errorString()));
        delete socket;
        ::close(static_cast<int>(socketDescriptor));
        return;
    }
    SessionToken token;
    if (d->lifecycle) {
        token = d->lifecycle->holdSession(QStringLiteral("connection from %1:%2")
                                              .arg(socket->peerAddress().toString())
                                              .arg(socket->peerPort()));
    }
    auto *guard = new ConnectionGuard(socket, std::move(token), this);
    d->sockets.insert(socket);
    connect(socket, &QObject::destroyed, &d->socketWatch,
            [d, socket] { d->sockets.remove(socket); });
    addPendingConnection(socket);
    if (d->draining)
        guard->drain();
}

} // namespace canstop
