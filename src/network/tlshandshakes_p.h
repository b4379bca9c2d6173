// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefulsslserver.h>

#include <QSslConfiguration>

#include <chrono>
#include <functional>
#include <mutex>

QT_BEGIN_NAMESPACE
class QSslSocket;
QT_END_NAMESPACE

namespace canstop {

// The TLS side of a GracefulSslServer's connections: the configuration new
// handshakes take, replaced whole and read from any thread (a worker
// thread starts its own connections' handshakes), and each server
// handshake from its start to its end. One that is not done within the
// timeout, or fails, is one debug line: the connection is closed (its
// session ends, neither drained nor abandoned) and deleted. One that is
// done hands the connection on to the application.
class TlsHandshakes
{
public:
    QSslConfiguration configuration() const;
    void setConfiguration(const QSslConfiguration &configuration);
    std::chrono::milliseconds timeout() const;
    void setTimeout(std::chrono::milliseconds timeout);
    // Called with each connection before its handshake begins, in its thread.
    void setWatch(std::function<void(QSslSocket *socket)> watch);

    // Begins the server's handshake on `socket`, just accepted and guarded,
    // in its thread, once its first bytes arrive; `encrypted` is called
    // there once it is done.
    void start(QSslSocket *socket, std::function<void()> encrypted) const;

private:
    // Qt's default, but no client certificate asked for (QueryPeer would:
    // a browser would then ask its user for one).
    static QSslConfiguration withoutClientCertificates();

    mutable std::mutex m_mutex;
    QSslConfiguration m_configuration = withoutClientCertificates();
    std::chrono::milliseconds m_timeout{GracefulSslServer::DefaultHandshakeTimeout};
    std::function<void(QSslSocket *)> m_watch;
};

} // namespace canstop
