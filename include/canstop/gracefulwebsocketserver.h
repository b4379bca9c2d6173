// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_websockets_export.h>
#include <canstop/drainoptions.h>

#include <QHostAddress>
#include <QSslConfiguration>
#include <QWebSocketServer>

#include <memory>

namespace canstop {

class GracefulTcpServer;
class LifecycleManager;
class GracefulWebSocketServerPrivate;

/// A drop-in QWebSocketServer (ws, or wss in SecureMode) whose WebSockets end
/// politely at shutdown. Each connection is a session. When the drain
/// begins, listening stops and every open WebSocket is closed with code
/// 1001 (Going Away) and closeReason(), after the messages already sent on
/// it; the server then waits for each client to answer and close, until
/// the shutdown's deadline, and names a client that has not (abandoned: "its
/// peer never closed its side"). A connection still in its opening
/// handshake finishes it and is then closed the same way; one whose client
/// has sent nothing is closed cleanly.
///
/// It listens through a GracefulTcpServer, tcpServer(), which accepts,
/// drains and holds the sessions, and takes this server's objectName() as
/// its own (HealthProbe's /metrics names it so). QWebSocketServer::listen() is not
/// virtual: called through a QWebSocketServer pointer it listens with the
/// base class's own QTcpServer, whose listener this server takes over in
/// the next turn of the event loop (the base one accepts nothing meanwhile;
/// clients wait in the kernel's queue). isListening(), serverPort(),
/// serverAddress(), close() and hasPendingConnections() are not virtual
/// either: call them on this class, since through a QWebSocketServer
/// pointer they answer for the base class's listener, closed once taken
/// over.
class CANSTOP_WEBSOCKETS_EXPORT GracefulWebSocketServer : public QWebSocketServer
{
    Q_OBJECT
    Q_PROPERTY(bool draining READ isDraining NOTIFY drainingStarted)

public:
    /// Follows LifecycleManager::instance(), as GracefulTcpServer does.
    explicit GracefulWebSocketServer(const QString &serverName, QObject *parent = nullptr);
    /// Drains on `lifecycle`'s drainStarted(); a null `lifecycle` makes a
    /// server that never drains, with one warning.
    GracefulWebSocketServer(LifecycleManager *lifecycle, const QString &serverName,
                            QObject *parent = nullptr);
    /// Follows LifecycleManager::instance(). In SecureMode (wss) it listens
    /// through a GracefulSslServer: give it a certificate with
    /// setSslConfiguration() or, to have it read again at each reload, its
    /// GracefulSslServer::setCertificateFiles() (qobject_cast tcpServer());
    /// each WebSocket is closed with 1001 inside TLS, then TLS close_notify.
    GracefulWebSocketServer(const QString &serverName, SslMode secureMode,
                            QObject *parent = nullptr);
    /// WebSockets the application never took are closed (1001) and deleted.
    ~GracefulWebSocketServer() override;

    /// As QWebSocketServer's, through tcpServer().
    ///@{
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    bool isListening() const;
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    void close();
    ///@}
    /// As QWebSocketServer's, through tcpServer() in SecureMode.
    ///@{
    void setSslConfiguration(const QSslConfiguration &sslConfiguration);
    QSslConfiguration sslConfiguration() const;
    ///@}
    /// Socket activation: see GracefulTcpServer::listenInherited().
    bool listenInherited(const QString &name = QString());

    /// The server that accepts and drains the connections (its backlog,
    /// worker threads). Owned by this server.
    GracefulTcpServer *tcpServer() const;
    /// How the connections drain, as tcpServer()'s; the peer's close is
    /// always awaited (the closing handshake), so setDrainOptions() turns
    /// DrainOptions::setAwaitPeerClose() on, and refuses Protocol::Http1 with
    /// one warning.
    ///@{
    DrainOptions drainOptions() const;
    bool setDrainOptions(const DrainOptions &options);
    ///@}
    /// True once the drain has begun (drainingStarted()).
    bool isDraining() const;

    /// The reason sent with code 1001 at shutdown, "server shutting down"
    /// unless set; at most 123 bytes of it in UTF-8 are sent.
    ///@{
    QString closeReason() const;
    void setCloseReason(const QString &reason);
    ///@}

    /// As QWebSocketServer's, from this server's own queue.
    ///@{
    bool hasPendingConnections() const;
    QWebSocket *nextPendingConnection() override;
    ///@}

Q_SIGNALS:
    /// Listening has stopped; every WebSocket is being closed with 1001.
    void drainingStarted(QPrivateSignal);

private:
    Q_DECLARE_PRIVATE(GracefulWebSocketServer)
    std::unique_ptr<GracefulWebSocketServerPrivate> d_ptr;
};

} // namespace canstop
