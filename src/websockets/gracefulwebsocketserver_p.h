// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefulwebsocketserver.h>

#include <QList>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QTcpServer>

#include <functional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace canstop {

class GracefulWebSocketServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulWebSocketServer)

public:
    GracefulWebSocketServerPrivate(GracefulWebSocketServer *server, GracefulTcpServer *tcp);

    // Hands what the TCP server accepted to the handshake.
    void takeConnections();
    // Takes the WebSockets the handshake made, before the application.
    void takeWebSockets();
    void startDraining();
    void goAway(QWebSocket *webSocket);
    // QWebSocketServer::listen() (not virtual) listens through the base
    // class's own QTcpServer: its listener is handed to `tcp` instead.
    void watchBaseListener();
    void takeBaseListener();

    GracefulWebSocketServer *const q_ptr;
    GracefulTcpServer *const tcp; // a child of the server
    QString closeReason = QStringLiteral("server shutting down");
    QList<QPointer<QTcpSocket>> handshaking; // accepted, no WebSocket yet
    QList<QPointer<QWebSocket>> open;        // upgraded, not yet closed
    QQueue<QPointer<QWebSocket>> pending;    // upgraded, not yet taken
    bool draining = false;
    QPointer<QTcpServer> baseListener; // QWebSocketServer's own
    // Keeps the base listener from accepting: filters its socket engine's
    // children and swallows their events, until takeBaseListener().
    class Muzzle : public QObject
    {
    public:
        bool eventFilter(QObject *watched, QEvent *event) override;
        std::function<void()> listening;
    } muzzle;
    // The context of every connection made here: they end with this data.
    QObject context;
};

} // namespace canstop
