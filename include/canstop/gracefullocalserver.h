// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_network_export.h>
#include <canstop/drainoptions.h>

#include <QLocalServer>

#include <chrono>
#include <cstddef>
#include <memory>

QT_BEGIN_NAMESPACE
class QLocalSocket;
QT_END_NAMESPACE

namespace canstop {

class LifecycleManager;
class GracefulLocalServerPrivate;

/// A drop-in QLocalServer (a Unix domain socket, the IPC of desktop
/// applications and their helpers) with GracefulTcpServer's drain: every
/// accepted socket counts as a session; when a shutdown begins the
/// connections the kernel had queued are taken and served, listening stops
/// (the socket file is removed), and each connection is closed gracefully
/// once it is idle or at the deadline. The same rules and options as
/// GracefulTcpServer's: busy while it has unread input or unsent output, or
/// has not been quiet for idleGrace(), or as markBusy() and markIdle() say;
/// what is still busy at the deadline is named and counted abandoned.
///
/// Closing a connection with QLocalSocket::close() closes it gracefully
/// too; disconnectFromServer() and abort() are Qt's own.
///
/// Threads: call the server in its own thread; markBusy() and markIdle() in
/// the connection's thread.
///
/// HealthProbe's /metrics counts its connections under its objectName(), or
/// else under fullServerName().
class CANSTOP_NETWORK_EXPORT GracefulLocalServer : public QLocalServer
{
    Q_OBJECT
    Q_PROPERTY(bool draining READ isDraining NOTIFY drainingStarted)

public:
    /// Follows LifecycleManager::instance(), asked for when the server first
    /// needs it (listen(), a connection), so it may be made before the manager.
    explicit GracefulLocalServer(QObject *parent = nullptr);
    /// The same, with no parent (`GracefulLocalServer server(nullptr);`).
    explicit GracefulLocalServer(std::nullptr_t);
    /// Drains on `lifecycle`'s drainStarted(). A null `lifecycle` makes a
    /// plain QLocalServer that never drains, with one warning.
    explicit GracefulLocalServer(LifecycleManager *lifecycle, QObject *parent = nullptr);
    /// Connections still lingering finish on their own.
    ~GracefulLocalServer() override;

    /// How the connections drain (DrainOptions), for connections accepted
    /// from now on; refused with one warning for Protocol::Http1, which
    /// needs a TCP socket.
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
    std::chrono::milliseconds idleGrace() const;
    bool setIdleGrace(std::chrono::milliseconds grace);
    std::chrono::milliseconds linger() const;
    bool setLinger(std::chrono::milliseconds linger);
    ///@}

    /// As GracefulTcpServer's: one warning, and nothing else, for a
    /// connection this server did not accept.
    ///@{
    void markBusy(QLocalSocket *connection);
    void markIdle(QLocalSocket *connection);
    ///@}

    /// As QLocalServer's; then the server accepts by itself (out of file
    /// descriptors it pauses and retries, where QLocalServer closes for
    /// good) and drains at shutdown. The socket's file is removed when
    /// listening stops, as QLocalServer does, unless by then it names
    /// another socket (a new instance's after an upgrade). In the new
    /// instance of an upgrade (LifecycleManager::upgrade()), listen(name)
    /// puts a socket of its own at the name in one step (a rename over the
    /// old instance's file), so that no client finds no server, and the old
    /// instance serves what it had queued. Called through a QLocalServer
    /// pointer, the same from the next turn of the event loop on (or its
    /// first connection, whichever comes first), without that care for the
    /// file. A socket in the abstract namespace is QLocalServer's own, and an
    /// upgrade's new instance cannot listen at its name until the old one
    /// has stopped.
    ///@{
    bool listen(const QString &name);
    bool listen(qintptr socketDescriptor);
    ///@}

    /// Socket activation: listens on a socket the service manager passed
    /// (a `.socket` unit's `ListenStream=` with a path), the one `name`d in
    /// LISTEN_FDNAMES or, without a name, the first listening local socket
    /// not yet taken; as GracefulTcpServer::listenInherited(). A drain stops
    /// accepting and leaves the socket, its file and the kernel's queue to
    /// the service manager, for the next instance. An upgrade hands the
    /// socket to the new instance, where listenInherited() takes it again.
    bool listenInherited(const QString &name = QString());
    /// Whether the socket came from listenInherited().
    bool isInherited() const;
    /// Hands the listening socket to systemd's file descriptor store, as
    /// GracefulTcpServer::storeListener(), so that the next start takes it
    /// with listenInherited(name). The socket's file is kept from then on,
    /// through the drain and the exit.
    bool storeListener(const QString &name);

    /// The listening socket is served by this server, not by QLocalServer,
    /// whose close() would remove the socket's file whoever it belongs to
    /// by then: these see it, QLocalServer's own (through a base pointer)
    /// do not.
    ///@{
    bool isListening() const;
    QString serverName() const;
    QString fullServerName() const;
    qintptr socketDescriptor() const;
    bool waitForNewConnection(int msec = 0, bool *timedOut = nullptr);
    void close();
    ///@}

    /// True once the drain has begun (drainingStarted()).
    bool isDraining() const;

    /// As QLocalServer's, from this server's own queue: a connection stays
    /// pending through a drain, to be taken late, until the deadline.
    ///@{
    bool hasPendingConnections() const override;
    QLocalSocket *nextPendingConnection() override;
    ///@}

Q_SIGNALS:
    /// Listening has stopped; connections close as they become idle.
    void drainingStarted(QPrivateSignal);

protected:
    /// Wraps the descriptor in a QLocalSocket that counts as a session.
    void incomingConnection(quintptr socketDescriptor) override;
    /// Notices listening begun through QLocalServer's own listen() (not
    /// virtual; through a QLocalServer pointer): the server then accepts in
    /// Qt's place, and drains, from the next turn of the event loop on.
    void childEvent(QChildEvent *event) override;

private:
    Q_DECLARE_PRIVATE(GracefulLocalServer)
    std::unique_ptr<GracefulLocalServerPrivate> d_ptr;
};

} // namespace canstop
