// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_network_export.h>
#include <canstop/drainoptions.h>

#include <QHostAddress>
#include <QTcpServer>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace canstop {

class LifecycleManager;
class GracefulTcpServerPrivate;

/// A drop-in QTcpServer whose connections survive a shutdown: every
/// accepted socket counts as a session, listening stops the moment a
/// shutdown begins (connections the kernel had already accepted are still
/// taken and served), and each connection is closed gracefully once it is
/// idle, or at the deadline: its output is flushed, its write side closed,
/// and its input read and discarded until the peer closes or the linger
/// passes, so a peer never sees a reset nor loses a byte the server wrote.
///
/// A connection is busy while it has unread input (in Qt's buffer or the
/// kernel's) or unsent output, and it is closed only once it has also been
/// quiet (no byte read or written) for idleGrace(), 250 ms by default: long
/// enough for a stream's sender to get past a delayed ACK or one
/// retransmission timeout (200 ms minimum on Linux) without being cut in the
/// pause, short enough that a drain barely waits for it. Connections quiet
/// longer than that close at once. An application that knows its own
/// request boundaries says so with markBusy() and markIdle(), and then the
/// grace does not apply.
///
/// Threads: call the server in its own thread; markBusy() and markIdle() in
/// the connection's thread.
///
/// The listen backlog defaults to the kernel's maximum (somaxconn), not
/// QTcpServer's 50, so a burst of connects is queued, not retried;
/// setListenBacklogSize() before listen() changes it.
///
/// A server that speaks HTTP/1.1 (QHttpServer, bound with
/// QAbstractHttpServer::bind()) says so with setProtocol(Protocol::Http1):
/// then a connection is busy from the first byte of a request to the last
/// byte of its response, however long the application takes to answer, and
/// once the drain has begun every response carries "Connection: close".
///
/// A connection is not read while Qt holds unsent output for it (QTcpSocket
/// drops that output when it reads the peer's EOF), and the kernel holds at
/// most maxPendingOutput() of it (the send buffer): a peer that half-closes
/// gets every reply, and one that sends but never reads cannot grow the
/// server's memory.
///
/// HealthProbe's /metrics counts its connections (accepted, open, and what
/// its drain closed or cut off) under its objectName(), which also names
/// its listener in an upgrade, or else under the address it listens on.
class CANSTOP_NETWORK_EXPORT GracefulTcpServer : public QTcpServer
{
    Q_OBJECT
    Q_PROPERTY(qint64 maxPendingOutput READ maxPendingOutput WRITE setMaxPendingOutput)
    Q_PROPERTY(qint64 maxPendingInput READ maxPendingInput WRITE setMaxPendingInput)
    Q_PROPERTY(bool draining READ isDraining NOTIFY drainingStarted)
    Q_PROPERTY(canstop::DrainOptions::Protocol protocol READ protocol WRITE setProtocol)

public:
    /// What the connections speak: DrainOptions::Protocol.
    using Protocol = DrainOptions::Protocol;
    /// The defaults, as DrainOptions has them.
    ///@{
    static constexpr qint64 DefaultMaxPendingOutput = DrainOptions::DefaultMaxPendingOutput;
    static constexpr qint64 DefaultMaxPendingInput = DrainOptions::DefaultMaxPendingInput;
    static constexpr std::chrono::milliseconds DefaultLinger = DrainOptions::DefaultLinger;
    static constexpr std::chrono::milliseconds DefaultIdleGrace = DrainOptions::DefaultIdleGrace;
    ///@}
    /// The most threads serveInThreads() takes.
    static constexpr int MaxWorkerThreads = 256;

    /// Follows LifecycleManager::instance(), asked for when the server first
    /// needs it (listen(), a connection), so it may be made before the manager.
    explicit GracefulTcpServer(QObject *parent = nullptr);
    /// The same, with no parent (`GracefulTcpServer server(nullptr);`).
    explicit GracefulTcpServer(std::nullptr_t);
    /// Drains on `lifecycle`'s drainStarted(). A null `lifecycle` makes a
    /// plain QTcpServer that never drains, with one warning.
    explicit GracefulTcpServer(LifecycleManager *lifecycle, QObject *parent = nullptr);
    /// Connections still lingering finish on their own.
    ~GracefulTcpServer() override;

    /// How the connections drain (DrainOptions), for connections accepted
    /// from now on.
    ///@{
    DrainOptions drainOptions() const;
    bool setDrainOptions(const DrainOptions &options);
    ///@}
    /// Shorthands for one option of drainOptions() each, with its checks:
    /// a bad value is refused with one warning.
    ///@{
    qint64 maxPendingOutput() const;
    bool setMaxPendingOutput(qint64 bytes);
    qint64 maxPendingInput() const;
    bool setMaxPendingInput(qint64 bytes);
    Protocol protocol() const;
    bool setProtocol(Protocol protocol);
    std::chrono::milliseconds idleGrace() const;
    bool setIdleGrace(std::chrono::milliseconds grace);
    std::chrono::milliseconds linger() const;
    bool setLinger(std::chrono::milliseconds linger);
    bool awaitsPeerClose() const;
    void setAwaitPeerClose(bool await);
    ///@}
    /// From now on the application says when `connection` is busy (a request
    /// is in progress) and when it is idle (between requests). One warning,
    /// and nothing else, for a connection this server did not accept.
    ///@{
    void markBusy(QTcpSocket *connection);
    void markIdle(QTcpSocket *connection);
    ///@}

    /// Serves the connections in `threads` worker threads, each with its own
    /// event loop, rather than through nextPendingConnection() and
    /// newConnection(): each accepted connection is made in the next thread
    /// in turn and handed to `serve`, called in that thread. It is a child of
    /// an object of that thread, deleted with the thread if it still exists;
    /// `serve` may delete it sooner (deleteLater() once disconnected). The
    /// connections are counted and drained as this server's; the threads
    /// end with the server. Once, before listening; refused with a warning
    /// otherwise, or unless 1 <= threads <= MaxWorkerThreads and `serve` is
    /// callable.
    bool serveInThreads(int threads, const std::function<void(QTcpSocket *connection)> &serve);
    /// How many worker threads serve the connections; 0: none, this thread.
    int workerThreads() const;

    /// True once the drain has begun (drainingStarted()).
    bool isDraining() const;

    /// As QTcpServer's; then the server accepts by itself: out of file
    /// descriptors (EMFILE), it pauses and retries as they free up, where
    /// QTcpServer spins, and a drain takes the kernel's queue once it can.
    /// Called through a QTcpServer pointer, the same from the next turn of
    /// the event loop on (or its first connection, whichever comes first).
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);

    /// Socket activation: listens on a socket the service manager passed
    /// (LISTEN_FDS, when LISTEN_PID is this process), the one `name`d in
    /// LISTEN_FDNAMES or, without a name, the first listening TCP socket not
    /// yet taken. False when there is none: silently when nothing (or nothing
    /// by that name) was passed, with one warning when what was passed does
    /// not fit. The variables are read and unset on first use.
    /// A drain stops accepting but leaves the kernel's queue on the socket,
    /// which its owner keeps: clients that connect during a restart wait
    /// there for the next instance instead of being refused.
    bool listenInherited(const QString &name = QString());
    /// Whether the socket came from listenInherited().
    bool isInherited() const;
    /// Hands the listening socket to systemd's file descriptor store (see
    /// LifecycleManager::storeFileDescriptor()), so that the next start of
    /// the service takes it with listenInherited(name) even without a .socket
    /// unit; then a drain leaves the kernel's queue to systemd, as for an
    /// inherited socket. False when not listening or nothing was stored.
    bool storeListener(const QString &name);

    /// As QTcpServer's. A connection is not drained before the application
    /// has taken it: until the deadline it stays pending, to be taken late.
    ///@{
    bool hasPendingConnections() const override;
    QTcpSocket *nextPendingConnection() override;
    ///@}

Q_SIGNALS:
    /// Listening has stopped; connections close as they become idle.
    void drainingStarted(QPrivateSignal);

protected:
    /// Wraps the descriptor in a QTcpSocket that counts as a session. A
    /// subclass that overrides it loses the drain for its connections.
    void incomingConnection(qintptr socketDescriptor) override;
    /// Notices listening begun through QTcpServer's own listen() or
    /// setSocketDescriptor() (not virtual; through a QTcpServer pointer):
    /// the server then accepts in Qt's place, and drains, from the next
    /// turn of the event loop on.
    void childEvent(QChildEvent *event) override;

private:
    friend class GracefulSslServer; // its connections are TLS
    Q_DECLARE_PRIVATE(GracefulTcpServer)
    std::unique_ptr<GracefulTcpServerPrivate> d_ptr;
};

} // namespace canstop
