// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "socketaccess_p.h"

#include <sys/socket.h>

namespace canstop {

bool SocketAccess::isConnected() const
{
    return m_tcp ? m_tcp->state() == QAbstractSocket::ConnectedState
                 : m_local->state() == QLocalSocket::ConnectedState;
}

int SocketAccess::descriptor() const
{
    return static_cast<int>(m_tcp ? m_tcp->socketDescriptor() : m_local->socketDescriptor());
}

void SocketAccess::flush()
{
    if (m_tcp)
        m_tcp->flush();
    else
        m_local->flush();
}

qint64 SocketAccess::bytesToWrite() const
{
    return m_device->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
}

qint64 SocketAccess::bytesAvailable() const
{
    return m_device->bytesAvailable() + (m_tls ? m_tls->encryptedBytesAvailable() : 0);
}

SocketAccess::CloseNotify SocketAccess::sendCloseNotify(int *alertBytes)
{
    *alertBytes = 0;
    if (!m_tls || !m_tls->isEncrypted() || bytesToWrite() > 0 || !isConnected())
        return CloseNotify::None;
    m_tls->QSslSocket::disconnectFromHost(); // close_notify, then Qt's close once it is sent
    *alertBytes = int(m_tls->encryptedBytesToWrite()); // nothing else was left to send
    m_tls->flush();
    return m_tls->state() == QAbstractSocket::UnconnectedState ? CloseNotify::Sent
                                                               : CloseNotify::Pending;
}

void SocketAccess::setReadBufferSize(qint64 size)
{
    if (m_tcp)
        m_tcp->setReadBufferSize(size);
    else
        m_local->setReadBufferSize(size);
}

void SocketAccess::abort()
{
    if (m_tcp)
        m_tcp->abort();
    else
        m_local->abort();
}

void SocketAccess::closeByQt()
{
    if (m_tls)
        m_tls->QSslSocket::disconnectFromHost();
    else if (m_tcp)
        m_tcp->QTcpSocket::disconnectFromHost();
    else
        m_local->QLocalSocket::close();
}

QString SocketAccess::name() const
{
    if (m_tcp) {
        return QStringLiteral("connection from %1:%2")
            .arg(m_tcp->peerAddress().toString())
            .arg(m_tcp->peerPort());
    }
#if defined(SO_PEERCRED)
    ucred peer{};
    socklen_t size = sizeof peer;
    if (::getsockopt(descriptor(), SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 && peer.pid > 0)
        return QStringLiteral("local connection from process %1").arg(peer.pid);
#endif
    return QStringLiteral("local connection %1").arg(descriptor());
}

} // namespace canstop
