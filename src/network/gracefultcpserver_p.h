// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

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
    explicit GracefulTcpServerPrivate(GracefulTcpServer *server);

    void useManager(LifecycleManager *manager);
    // A server made to follow LifecycleManager::instance() asks for it when
    // it first needs it (listen(), a connection), not when it is made.
    void resolveManager();

    enum class Accepted { All, Limit, OutOfDescriptors };

    void startDraining();
    void closeRemaining();
    void closeListener();
    void takeOverAccepting();
    void onReadyToAccept();
    // Accepts what the kernel has queued, as QTcpServer would.
    Accepted acceptQueued(bool ignoreLimit);
    void outOfDescriptors();
    int kernelQueueLength() const;
    void drain(ConnectionGuard *guard);
    void drainNextBatch();
    QList<QTcpSocket *> socketsInOrder() const;

    GracefulTcpServer *const q_ptr;
    QPointer<LifecycleManager> lifecycle;
    bool followsInstance = false;
    GracefulTcpServer::Protocol protocol = GracefulTcpServer::Protocol::Raw;
    qint64 maxPendingOutput = GracefulTcpServer::DefaultMaxPendingOutput;
    qint64 maxPendingInput = GracefulTcpServer::DefaultMaxPendingInput;
    std::chrono::milliseconds lingerTime = GracefulTcpServer::DefaultLinger;
    std::chrono::milliseconds idleGrace = GracefulTcpServer::DefaultIdleGrace;
    bool draining = false;
    bool awaitPeerClose = false;
    bool inherited = false;      // from listenInherited(): its queue is not ours to take
    bool stored = false;         // in systemd's fd store: neither
    QSet<QTcpSocket *> sockets;  // accepted and not yet destroyed
    QSet<QTcpSocket *> pending;  // accepted, not yet taken by the application
    QList<QTcpSocket *> untaken; // pending when listening stopped, oldest first
    QTimer retryTimer;           // accepting again after running out of descriptors
    int retryDelayMs = 0;
    SessionToken queuedInKernel; // a drain out of descriptors: what the kernel queued
    QList<QTcpSocket *> toDrain; // not yet told of the drain
    QTimer drainStep;            // tells them a batch per turn of the event loop
    QTimer deadlineTimer;        // closes what is still busy in time for the deadline
    QDeadlineTimer lingerEnd = QDeadlineTimer::Forever;
    // The context of the sockets' destroyed() handlers: they die with this
    // data, so sockets that QTcpServer deletes after it are not heard.
    QObject socketWatch;

    // On the listening socket's read notifier: accepts instead of Qt.
    class AcceptFilter : public QObject
    {
    public:
        explicit AcceptFilter(GracefulTcpServerPrivate *d) : m_d(d) {}
        bool eventFilter(QObject *, QEvent *event) override;

    private:
        GracefulTcpServerPrivate *const m_d;
    } acceptFilter{this};
};

} // namespace canstop
