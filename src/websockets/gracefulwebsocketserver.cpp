// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefulsslserver.h>
#include <canstop/gracefultcpserver.h>
#include <canstop/gracefulwebsocketserver.h>

#include "gracefulwebsocketserver_p.h"
#include "logging_p.h"

#include <QChildEvent>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace canstop {

GracefulWebSocketServerPrivate::GracefulWebSocketServerPrivate(GracefulWebSocketServer *server,
                                                               GracefulTcpServer *tcpServer)
    : q_ptr(server), tcp(tcpServer)
{
    // The client's close frame comes before its FIN: wait for both.
    tcp->setAwaitPeerClose(true);
    // Its name is its TCP server's: in /metrics and for an upgrade's listener.
    QObject::connect(server, &QObject::objectNameChanged, tcp,
                     [tcp = tcp](const QString &name) { tcp->setObjectName(name); });
    QObject::connect(tcp, &QTcpServer::newConnection, &context, [this] { takeConnections(); });
    QObject::connect(tcp, &GracefulTcpServer::drainingStarted, &context,
                     [this] { startDraining(); });
    // Connected before the application's handlers, which then find the
    // WebSockets in this server's queue.
    QObject::connect(server, &QWebSocketServer::newConnection, &context,
                     [this] { takeWebSockets(); });
    watchBaseListener();
}

void GracefulWebSocketServerPrivate::watchBaseListener()
{
    Q_Q(GracefulWebSocketServer);
    const auto servers = q->findChildren<QTcpServer *>(Qt::FindDirectChildrenOnly);
    for (QTcpServer *server : servers) {
        if (server != tcp)
            baseListener = server;
    }
    if (!baseListener)
        return; // not as Qt 6.4 makes it: QWebSocketServer::listen() stays Qt's
    muzzle.listening = [this] {
        QMetaObject::invokeMethod(
            &context, [this] { takeBaseListener(); }, Qt::QueuedConnection);
    };
    baseListener->installEventFilter(&muzzle);
}

bool GracefulWebSocketServerPrivate::Muzzle::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ChildAdded) {
        // The base listener's socket engine, then the engine's notifiers.
        static_cast<QChildEvent *>(event)->child()->installEventFilter(this);
        if (watched->inherits("QTcpServer"))
            listening();
        return false;
    }
    return event->type() == QEvent::SockAct; // nothing accepted there
}

void GracefulWebSocketServerPrivate::takeBaseListener()
{
    if (!baseListener || !baseListener->isListening() || tcp->isListening())
        return;
    const int fd = ::fcntl(int(baseListener->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    baseListener->close();
    if (fd >= 0 && tcp->setSocketDescriptor(fd)) {
        qCDebug(lcWebSockets, "QWebSocketServer::listen() on the base class: its listener is "
                              "taken over");
        return;
    }
    qCWarning(lcWebSockets, "cannot take over the listener of QWebSocketServer::listen(): %s",
              fd < 0 ? std::strerror(errno) : qPrintable(tcp->errorString()));
    if (fd >= 0)
        ::close(fd);
}

void GracefulWebSocketServerPrivate::takeConnections()
{
    Q_Q(GracefulWebSocketServer);
    while (QTcpSocket *socket = tcp->nextPendingConnection()) {
        handshaking.append(socket);
        q->handleConnection(socket);
    }
}

void GracefulWebSocketServerPrivate::takeWebSockets()
{
    Q_Q(GracefulWebSocketServer);
    handshaking.removeAll(nullptr);
    while (q->QWebSocketServer::hasPendingConnections()) {
        QWebSocket *webSocket = q->QWebSocketServer::nextPendingConnection();
        // Its connection is the one with its peer's address and port; busy
        // from now on, for it ends with the WebSocket's closing handshake.
        const auto connection = std::find_if(
            handshaking.begin(), handshaking.end(), [webSocket](const QPointer<QTcpSocket> &s) {
                return s->peerPort() == webSocket->peerPort() &&
                       s->peerAddress() == webSocket->peerAddress();
            });
        if (connection != handshaking.end()) {
            tcp->markBusy(*connection);
            handshaking.erase(connection);
        }
        pending.enqueue(webSocket);
        open.append(webSocket);
        QObject::connect(webSocket, &QWebSocket::disconnected, &context,
                         [this, webSocket] { open.removeAll(webSocket); });
        // Upgraded in the drain: the application gets it, then it goes.
        if (draining)
            QTimer::singleShot(0, &context,
                               [this, webSocket = QPointer(webSocket)] { goAway(webSocket); });
    }
}

void GracefulWebSocketServerPrivate::startDraining()
{
    draining = true;
    open.removeAll(nullptr);
    qCInfo(lcWebSockets, "closing %lld WebSocket(s) with 1001 (Going Away)",
           static_cast<long long>(open.size()));
    const QList<QPointer<QWebSocket>> closing = open;
    for (QWebSocket *webSocket : closing)
        goAway(webSocket);
    Q_EMIT q_ptr->drainingStarted({});
}

void GracefulWebSocketServerPrivate::goAway(QWebSocket *webSocket)
{
    // Its close frame follows the messages already sent; then the
    // connection closes gracefully and waits for the client's answer.
    if (webSocket && webSocket->state() == QAbstractSocket::ConnectedState)
        webSocket->close(QWebSocketProtocol::CloseCodeGoingAway, closeReason);
}

GracefulWebSocketServer::GracefulWebSocketServer(const QString &serverName, QObject *parent)
    : QWebSocketServer(serverName, NonSecureMode, parent),
      d_ptr(std::make_unique<GracefulWebSocketServerPrivate>(
          this, new GracefulTcpServer(static_cast<QObject *>(this))))
{}

GracefulWebSocketServer::GracefulWebSocketServer(LifecycleManager *lifecycle,
                                                 const QString &serverName, QObject *parent)
    : QWebSocketServer(serverName, NonSecureMode, parent),
      d_ptr(std::make_unique<GracefulWebSocketServerPrivate>(
          this, new GracefulTcpServer(lifecycle, this)))
{}

GracefulWebSocketServer::GracefulWebSocketServer(const QString &serverName, SslMode secureMode,
                                                 QObject *parent)
    : QWebSocketServer(serverName, secureMode, parent),
      d_ptr(std::make_unique<GracefulWebSocketServerPrivate>(
          this, secureMode == SecureMode ? new GracefulSslServer(static_cast<QObject *>(this))
                                         : new GracefulTcpServer(static_cast<QObject *>(this))))
{}

GracefulWebSocketServer::~GracefulWebSocketServer()
{
    Q_D(GracefulWebSocketServer);
    for (QWebSocket *webSocket : std::as_const(d->pending)) {
        d->goAway(webSocket);
        delete webSocket;
    }
}

bool GracefulWebSocketServer::listen(const QHostAddress &address, quint16 port)
{
    Q_D(GracefulWebSocketServer);
    return d->tcp->listen(address, port);
}

bool GracefulWebSocketServer::listenInherited(const QString &name)
{
    Q_D(GracefulWebSocketServer);
    return d->tcp->listenInherited(name);
}

bool GracefulWebSocketServer::isListening() const
{
    Q_D(const GracefulWebSocketServer);
    return d->tcp->isListening();
}

quint16 GracefulWebSocketServer::serverPort() const
{
    Q_D(const GracefulWebSocketServer);
    return d->tcp->serverPort();
}

QHostAddress GracefulWebSocketServer::serverAddress() const
{
    Q_D(const GracefulWebSocketServer);
    return d->tcp->serverAddress();
}

void GracefulWebSocketServer::close()
{
    Q_D(GracefulWebSocketServer);
    d->tcp->close();
    QWebSocketServer::close();
}

void GracefulWebSocketServer::setSslConfiguration(const QSslConfiguration &sslConfiguration)
{
    Q_D(GracefulWebSocketServer);
    QWebSocketServer::setSslConfiguration(sslConfiguration);
    if (auto *tls = qobject_cast<GracefulSslServer *>(d->tcp))
        tls->setSslConfiguration(sslConfiguration);
    else
        qCWarning(lcWebSockets, "setSslConfiguration(): not in SecureMode; ignored");
}

QSslConfiguration GracefulWebSocketServer::sslConfiguration() const
{
    Q_D(const GracefulWebSocketServer);
    if (auto *tls = qobject_cast<GracefulSslServer *>(d->tcp))
        return tls->sslConfiguration();
    return QWebSocketServer::sslConfiguration();
}

GracefulTcpServer *GracefulWebSocketServer::tcpServer() const
{
    Q_D(const GracefulWebSocketServer);
    return d->tcp;
}

DrainOptions GracefulWebSocketServer::drainOptions() const
{
    return d_func()->tcp->drainOptions();
}

bool GracefulWebSocketServer::setDrainOptions(const DrainOptions &options)
{
    if (options.protocol() != DrainOptions::Protocol::Raw) {
        qCWarning(lcWebSockets, "GracefulWebSocketServer::setDrainOptions(): refused: "
                                "WebSocket connections are not drained as HTTP/1.1");
        return false;
    }
    DrainOptions withHandshake = options;
    withHandshake.setAwaitPeerClose(true);
    return d_func()->tcp->setDrainOptions(withHandshake);
}

bool GracefulWebSocketServer::isDraining() const
{
    return d_func()->draining;
}

QString GracefulWebSocketServer::closeReason() const
{
    Q_D(const GracefulWebSocketServer);
    return d->closeReason;
}

void GracefulWebSocketServer::setCloseReason(const QString &reason)
{
    Q_D(GracefulWebSocketServer);
    d->closeReason = reason;
}

bool GracefulWebSocketServer::hasPendingConnections() const
{
    Q_D(const GracefulWebSocketServer);
    return std::any_of(d->pending.cbegin(), d->pending.cend(),
                       [](const QPointer<QWebSocket> &webSocket) { return !webSocket.isNull(); });
}

QWebSocket *GracefulWebSocketServer::nextPendingConnection()
{
    Q_D(GracefulWebSocketServer);
    while (!d->pending.isEmpty()) {
        if (QWebSocket *webSocket = d->pending.dequeue())
            return webSocket;
    }
    return nullptr;
}

} // namespace canstop
