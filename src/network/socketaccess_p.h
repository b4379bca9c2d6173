// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QLocalSocket>
#include <QSslSocket>
#include <QTcpSocket>

namespace canstop {

// The calls a connection's guard needs, which QTcpSocket and QLocalSocket
// both have under different names: the guard is written once for both.
class SocketAccess
{
public:
    explicit SocketAccess(QTcpSocket *socket)
        : m_device(socket), m_tcp(socket), m_tls(qobject_cast<QSslSocket *>(socket))
    {}
    explicit SocketAccess(QLocalSocket *socket) : m_device(socket), m_local(socket) {}

    QIODevice *device() const { return m_device; }
    bool isConnected() const;
    int descriptor() const;
    void flush();
    // What Qt holds unsent, and what it has read but the application has
    // not, counting what TLS has not yet encrypted or decrypted.
    qint64 bytesToWrite() const;
    qint64 bytesAvailable() const;
    bool isTls() const { return m_tls != nullptr; }
    // A TLS connection whose handshake has not finished.
    bool isHandshaking() const { return m_tls && !m_tls->isEncrypted(); }
    // Ends an established TLS session with close_notify. Then Qt closes its
    // descriptor (keep a copy) once the alert is sent: before this returns
    // (Sent) or, with the kernel's buffer full, later (Pending, until
    // disconnected()). None, and nothing done, when the connection is not
    // TLS, not established, or Qt holds output: the alert would follow a
    // cut message. Not from a slot of the socket's own signals: Qt's TLS
    // backend uses its session after emitting them. `*alertBytes`: the
    // alert's size on the wire.
    enum class CloseNotify { None, Sent, Pending };
    CloseNotify sendCloseNotify(int *alertBytes);
    void setReadBufferSize(qint64 size);
    // Qt's own abrupt close, and its own orderly one (not a subclass's).
    void abort();
    void closeByQt();
    // Who is at the other end, for messages: "connection from ADDRESS:PORT".
    QString name() const;
    // Connects `function` to the socket's disconnected() signal.
    template <typename Function>
    QMetaObject::Connection onDisconnected(QObject *context, Function function)
    {
        if (m_tcp)
            return QObject::connect(m_tcp, &QAbstractSocket::disconnected, context, function);
        return QObject::connect(m_local, &QLocalSocket::disconnected, context, function);
    }
    // Connects `function` to bytesWritten() and, over TLS, to
    // encryptedBytesWritten(): bytesToWrite() has fallen.
    template <typename Function>
    QMetaObject::Connection onWritten(QObject *context, Function function)
    {
        if (m_tls)
            QObject::connect(m_tls, &QSslSocket::encryptedBytesWritten, context, function);
        return QObject::connect(m_device, &QIODevice::bytesWritten, context, function);
    }

private:
    QIODevice *m_device;
    QTcpSocket *m_tcp = nullptr;
    QLocalSocket *m_local = nullptr;
    QSslSocket *m_tls = nullptr;
};

} // namespace canstop
