#pragma once

#include <canstop/gracefultcpserver.h>
#include <canstop/sessiontoken.h>

#include <QList>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace canstop {

class ConnectionGuard;

class GracefulTcpServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulTcpServer)

public:
    GracefulTcpServerPrivate(GracefulTcpServer *server, LifecycleManager *manager);

    void startDraining();
    void acceptBacklog();
    void closeRemaining();
    void drain(ConnectionGuard *guard);
    QList<ConnectionGuard *> guards() const;

    GracefulTcpServer *const q_ptr;
    QPointer<LifecycleManager> lifecycle;
    qint64 maxPendingOutput = GracefulTcpServer::DefaultMaxPendingOutput;
    std::chrono::milliseconds lingerTime = GracefulTcpServer::DefaultLinger;
    std::chrono::milliseconds idleGrace = GracefulTcpServer::DefaultIdleGrace;
    bool draining = false;
    QSet<QTcpSocket *> sockets;  // accepted and not yet destroyed
    QList<QTcpSocket *> untaken; // pending when listening stopped, oldest first
    QTimer deadlineTimer;        // closes what is still busy in time for the deadline
    QDeadlineTimer lingerEnd = QDeadlineTimer::Forever;
    // The context of the sockets' destroyed() handlers: they die with this
    // data, so sockets that QTcpServer deletes after it are not heard.
    QObject socketWatch;
};

} // namespace canstop
