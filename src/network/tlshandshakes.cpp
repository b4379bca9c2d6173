// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "tlshandshakes_p.h"

#include "logging_p.h"
#include "socketaccess_p.h"

#include <QSslSocket>
#include <QTimer>

#include <memory>

namespace canstop {

QSslConfiguration TlsHandshakes::withoutClientCertificates()
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

QSslConfiguration TlsHandshakes::configuration() const
{
    const std::lock_guard lock(m_mutex);
    return m_configuration;
}

void TlsHandshakes::setConfiguration(const QSslConfiguration &configuration)
{
    const std::lock_guard lock(m_mutex);
    m_configuration = configuration;
}

std::chrono::milliseconds TlsHandshakes::timeout() const
{
    const std::lock_guard lock(m_mutex);
    return m_timeout;
}

void TlsHandshakes::setTimeout(std::chrono::milliseconds timeout)
{
    const std::lock_guard lock(m_mutex);
    m_timeout = timeout;
}

void TlsHandshakes::setWatch(std::function<void(QSslSocket *)> watch)
{
    const std::lock_guard lock(m_mutex);
    m_watch = std::move(watch);
}

void TlsHandshakes::start(QSslSocket *socket, std::function<void()> encrypted) const
{
    std::function<void(QSslSocket *)> watch;
    {
        const std::lock_guard lock(m_mutex);
        socket->setSslConfiguration(m_configuration);
        watch = m_watch;
        // Until the handshake is done: the timer's connections end with it.
        auto *handshake = new QTimer(socket);
        handshake->setSingleShot(true);
        handshake->start(m_timeout);
        QObject::connect(handshake, &QTimer::timeout, socket, [socket] {
            qCDebug(lcNetwork, "%ls: no TLS handshake in time; closing it",
                    qUtf16Printable(SocketAccess(socket).name()));
            socket->disconnectFromHost();
        });
        // Queued: Qt's TLS backend goes on with the socket after the signal.
        QObject::connect(
            socket, &QAbstractSocket::errorOccurred, handshake,
            [socket] {
                qCDebug(lcNetwork, "%ls: TLS handshake failed: %ls",
                        qUtf16Printable(SocketAccess(socket).name()),
                        qUtf16Printable(socket->errorString()));
                socket->disconnectFromHost();
            },
            Qt::QueuedConnection);
        // Never given to the application: it ends here.
        QObject::connect(socket, &QAbstractSocket::disconnected, handshake,
                         [socket] { socket->deleteLater(); });
        QObject::connect(socket, &QSslSocket::encrypted, handshake,
                         [handshake, encrypted = std::move(encrypted)]() mutable {
                             const std::function<void()> next = std::move(encrypted);
                             delete handshake;
                             next();
                         });
    }
    if (watch)
        watch(socket);
    // Once the ClientHello has begun to arrive, as QSslServer does: each
    // handshake's work in the turn of its own bytes, not in the accepting loop.
    auto started = std::make_shared<QMetaObject::Connection>();
    *started = QObject::connect(socket, &QIODevice::readyRead, socket, [socket, started] {
        QObject::disconnect(*started);
        socket->startServerEncryption();
    });
}

} // namespace canstop
