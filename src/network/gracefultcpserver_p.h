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
public:
    GracefulTcpServerPrivate(GracefulTcpServer *q, LifecycleManager *lifecycle);

    void startDraining();
    void acceptBacklog();
    void closeRemaining();
    // Ends a connection's life on a descriptor the server now owns.
    void linger(int fd, SessionToken token);
    QList<ConnectionGuard *> guards() const;

    GracefulTcpServer *const q;
    QPointer<LifecycleManager> lifecycle;
    qint64 maxPendingOutput = GracefulTcpServer::DefaultMaxPendingOutput;
    std::chrono::milliseconds lingerTime = GracefulTcpServer::DefaultLinger;
    bool draining = false;
    QSet<QTcpSocket *> sockets; // accepted and not yet destroyed
    QTimer deadlineTimer;       // closes what is still busy in time for the deadline
};

} // namespace canstop
