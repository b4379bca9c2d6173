// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefulwebsocketserver.h>

#include <QList>
#include <QObject>
#include <QPointer>
#include <QQueue>

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

    GracefulWebSocketServer *const q_ptr;
    GracefulTcpServer *const tcp; // a child of the server
    QString closeReason = QStringLiteral("server shutting down");
    QList<QPointer<QTcpSocket>> handshaking; // accepted, no WebSocket yet
    QList<QPointer<QWebSocket>> open;        // upgraded, not yet closed
    QQueue<QPointer<QWebSocket>> pending;    // upgraded, not yet taken
    bool draining = false;
    // The context of every connection made here: they end with this data.
    QObject context;
};

} // namespace canstop
