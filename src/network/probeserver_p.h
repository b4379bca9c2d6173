// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QList>
#include <QPointer>
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
// parse 400, at most 64 connections at once (one more closes the oldest, so
// slow peers cannot silence the probe for a kubelet). Lenient where RFC 9112
// asks a server to be: bare LF line ends and empty lines before the request
// line (§2.2), an absolute-form target (§3.2.2). Qt's QHttpServer 6.4
// closes a malformed request without an answer and keeps an incomplete one
// open forever, which is why this exists.
class ProbeServer : public QTcpServer
{
    Q_OBJECT

public:
    struct Answer
    {
        int status; // 200, 404, 503
        QByteArray body;
        QByteArray contentType = QByteArrayLiteral("application/json");
    };

    static constexpr int MaxRequestBytes = 8192;
    static constexpr int RequestTimeoutMs = 5000;
    static constexpr int MaxConnections = 64;

    // What the bytes a peer has sent so far ask for.
    struct Request
    {
        enum class Is { Incomplete, TooLarge, Bad, Complete } is = Is::Incomplete;
        QByteArray method; // when Complete
        QByteArray path;   // the target's path, without its query
        QByteArray accept; // the Accept header's value (several joined with ", ")
    };
    static Request parse(const QByteArray &received);
    // Called on the server's thread with a complete GET or HEAD request.
    using Route = std::function<Answer(const Request &request)>;

    explicit ProbeServer(Route route, QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void answer(QTcpSocket *socket, const Request &request);

    Route m_route;
    QList<QPointer<QTcpSocket>> m_open; // oldest first
};

} // namespace canstop
