// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "serversocket_p.h"

#include "connectionguard_p.h"
#include "httpsocket_p.h"

namespace canstop {

void ServerSocket::disconnectFromHost()
{
    // The peer has closed (Qt is ending the socket after reading its EOF):
    // nothing more can come from it, so nothing is left to linger for.
    if (error() == RemoteHostClosedError || !ConnectionGuard::closeGracefully(this))
        QTcpSocket::disconnectFromHost();
}

void SslServerSocket::disconnectFromHost()
{
    if (error() == RemoteHostClosedError || !ConnectionGuard::closeGracefully(this))
        QSslSocket::disconnectFromHost();
}

void SslServerSocket::close()
{
    // As QAbstractSocket::close(): no more reading or writing for the
    // application, what it wrote still sent. QIODevice's part only: the
    // rest would close the plain socket.
    QIODevice::close(); // NOLINT(bugprone-parent-virtual-call)
    if (error() == RemoteHostClosedError || !ConnectionGuard::closeGracefully(this))
        QSslSocket::close();
}

QTcpSocket *newServerSocket(DrainOptions::Protocol protocol, bool tls, QObject *parent)
{
    if (protocol == DrainOptions::Protocol::Http1)
        return tls ? static_cast<QTcpSocket *>(new HttpSslSocket(parent)) : new HttpSocket(parent);
    return tls ? static_cast<QTcpSocket *>(new SslServerSocket(parent)) : new ServerSocket(parent);
}

} // namespace canstop
