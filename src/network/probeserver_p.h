// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QTcpServer>

#include <functional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace canstop {

// A deliberately small HTTP/1.1 responder for health checks: GET or HEAD,
// one request per connection, then Connection: close. It is strict where a
// hostile peer could hurt: a request line and headers of at most 8 KiB
// (else 431), a complete request within 5 s (else 408), anything it cannot
// parse 400, at most 64 connections at once (more are closed unanswered).
// Qt's QHttpServer 6.4 closes a malformed request without an answer and
// keeps an incomplete one open forever, which is why this exists.
class ProbeServer : public QTcpServer
{
    Q_OBJECT

public:
    struct Answer
    {
        int status; // 200, 404, 503
        QByteArray body;
    };
    // Called on the server's thread with the request's path.
    using Route = std::function<Answer(const QByteArray &path)>;

    static constexpr int MaxRequestBytes = 8192;
    static constexpr int RequestTimeoutMs = 5000;
    static constexpr int MaxConnections = 64;

    explicit ProbeServer(Route route, QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void answer(QTcpSocket *socket, const QByteArray &requestLine);

    Route m_route;
    int m_connections = 0;
};

} // namespace canstop
