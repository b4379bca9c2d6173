// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "probeserver_p.h"

#include "logging_p.h"

#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <memory>

namespace canstop {

namespace {

QByteArray reason(int status)
{
    switch (status) {
    case 200:
        return QByteArrayLiteral("OK");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    }
    return QByteArrayLiteral("Error");
}

void respond(QTcpSocket *socket, int status, const QByteArray &body, bool withBody = true,
             const QByteArray &contentType = QByteArrayLiteral("application/json"))
{
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason(status) +
                  "\r\nContent-Type: " + contentType +
                  "\r\nContent-Length: " + QByteArray::number(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + (withBody ? body : QByteArray()));
    socket->disconnectFromHost(); // after the answer is written
}

QByteArray error(const char *what)
{
    return QByteArray("{\"error\":\"") + what + "\"}\n";
}

} // namespace

ProbeServer::ProbeServer(Route route, QObject *parent)
    : QTcpServer(parent), m_route(std::move(route))
{}

ProbeServer::Request ProbeServer::parse(const QByteArray &received)
{
    Request request;
    // Empty lines before the request line are ignored (RFC 9112 §2.2).
    qsizetype start = 0;
    while (start < received.size() && (received[start] == '\r' || received[start] == '\n'))
        ++start;
    // The head ends at the first empty line after the request line; any line
    // may end in a bare LF.
    const qsizetype lineEnd = received.indexOf('\n', start);
    qsizetype headEnd = -1;
    for (qsizetype at = lineEnd; at >= 0 && headEnd < 0; at = received.indexOf('\n', at + 1)) {
        const qsizetype next = at + 1;
        if (received.mid(next, 1) == "\n" || received.mid(next, 2) == "\r\n")
            headEnd = next;
    }
    if (headEnd < 0) {
        if (received.size() > MaxRequestBytes)
            request.is = Request::Is::TooLarge;
        return request;
    }
    QByteArray line = received.mid(start, lineEnd - start);
    if (line.endsWith('\r'))
        line.chop(1);
    // method SP request-target SP HTTP/1.x, and nothing else
    const QList<QByteArray> parts = line.split(' ');
    const bool methodOk = !parts.isEmpty() && !parts.first().isEmpty() &&
                          std::all_of(parts.first().cbegin(), parts.first().cend(),
                                      [](char c) { return c >= 'A' && c <= 'Z'; });
    if (parts.size() != 3 || !methodOk ||
        (parts.at(2) != "HTTP/1.1" && parts.at(2) != "HTTP/1.0")) {
        request.is = Request::Is::Bad;
        return request;
    }
    QByteArray target = parts.at(1);
    // The absolute form, "http://host[:port]/path" (§3.2.2), as a proxy sends it.
    if (target.toLower().startsWith("http://")) {
        const qsizetype path = target.indexOf('/', 7);
        target = path < 0 ? QByteArray("/") : target.mid(path);
    }
    if (!target.startsWith('/')) {
        request.is = Request::Is::Bad;
        return request;
    }
    // The fields; only Accept matters here, and a line without a colon is
    // passed over as the fields nobody asked for are.
    for (qsizetype at = lineEnd + 1; at < headEnd;) {
        const qsizetype end = received.indexOf('\n', at);
        const QByteArray field = received.mid(at, end - at);
        at = end + 1;
        const qsizetype colon = field.indexOf(':');
        if (colon < 0 || field.left(colon).compare("accept", Qt::CaseInsensitive) != 0)
            continue;
        if (!request.accept.isEmpty())
            request.accept += ", ";
        request.accept += field.mid(colon + 1).trimmed();
    }
    const qsizetype query = target.indexOf('?');
    request.is = Request::Is::Complete;
    request.method = parts.at(0);
    request.path = query < 0 ? target : target.left(query);
    return request;
}

void ProbeServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        socket->deleteLater();
        return;
    }
    m_open.removeAll(nullptr);
    if (m_open.size() >= MaxConnections) {
        // Slow peers (or none at all) cannot hold every place: the oldest goes.
        QTcpSocket *oldest = m_open.takeFirst();
        qCDebug(lcNetwork, "health probe: %d connections open; closing the oldest for a new one",
                MaxConnections);
        oldest->abort();
        oldest->deleteLater();
    }
    m_open.append(socket);
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    // One timer: first for the request to arrive (else 408), then for the
    // peer to take the answer (else the connection is cut).
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    auto received = std::make_shared<QByteArray>();
    auto answered = std::make_shared<bool>(false);
    const auto finish = [timer, answered] {
        *answered = true;
        timer->start(RequestTimeoutMs);
    };
    connect(timer, &QTimer::timeout, socket, [socket, answered, finish] {
        if (*answered) {
            socket->abort();
            return;
        }
        respond(socket, 408, error("no complete request in time"));
        finish();
    });
    timer->start(RequestTimeoutMs);

    connect(socket, &QTcpSocket::readyRead, socket, [this, socket, received, answered, finish] {
        if (*answered) {
            socket->readAll(); // the rest is not read
            return;
        }
        received->append(socket->read(MaxRequestBytes + 1 - received->size()));
        const Request request = parse(*received);
        switch (request.is) {
        case Request::Is::Incomplete:
            return;
        case Request::Is::TooLarge:
            respond(socket, 431, error("request too large"));
            break;
        case Request::Is::Bad:
            respond(socket, 400, error("bad request"));
            break;
        case Request::Is::Complete:
            answer(socket, request);
            break;
        }
        finish();
    });
}

void ProbeServer::answer(QTcpSocket *socket, const Request &request)
{
    if (request.method != "GET" && request.method != "HEAD") {
        respond(socket, 404, error("not found"));
        return;
    }
    const Answer found = m_route(request);
    respond(socket, found.status, found.body, request.method == "GET", found.contentType);
}

} // namespace canstop
