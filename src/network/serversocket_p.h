// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QTcpSocket>

namespace canstop {

// A connection a GracefulTcpServer accepted. However the application, or a
// library such as QWebSocket or QHttpServer, closes it (close(),
// disconnectFromHost()), it closes as a drain does: output flushed, write
// side shut, input discarded until the peer closes, so the peer never sees
// a reset. abort() stays abrupt.
class ServerSocket : public QTcpSocket
{
    Q_OBJECT

public:
    explicit ServerSocket(QObject *parent) : QTcpSocket(parent) {}

    void disconnectFromHost() override;
};

} // namespace canstop
