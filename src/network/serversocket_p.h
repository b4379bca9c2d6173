// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/drainoptions.h>

#include <QSslSocket>
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

// The same over TLS (a GracefulSslServer's): the graceful close sends TLS
// close_notify before the FIN. close() too, which QSslSocket would end by
// closing its TCP connection itself (QWebSocket calls it).
class SslServerSocket : public QSslSocket
{
    Q_OBJECT

public:
    explicit SslServerSocket(QObject *parent) : QSslSocket(parent) {}

    void disconnectFromHost() override;
    void close() override;
};

// A new socket for an accepted connection: what the server speaks (HTTP/1.1
// framed or not), over TLS or not.
QTcpSocket *newServerSocket(DrainOptions::Protocol protocol, bool tls, QObject *parent);

} // namespace canstop
