// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QLocalSocket>
#include <QTcpSocket>

namespace canstop {

// The calls a connection's guard needs, which QTcpSocket and QLocalSocket
// both have under different names: the guard is written once for both.
class SocketAccess
{
public:
    explicit SocketAccess(QTcpSocket *socket) : m_device(socket), m_tcp(socket) {}
    explicit SocketAccess(QLocalSocket *socket) : m_device(socket), m_local(socket) {}

    QIODevice *device() const { return m_device; }
    bool isConnected() const;
    int descriptor() const;
    void flush();
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

private:
    QIODevice *m_device;
    QTcpSocket *m_tcp = nullptr;
    QLocalSocket *m_local = nullptr;
};

} // namespace canstop
