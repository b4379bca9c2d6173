// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "probeserver_p.h"

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

void respond(QTcpSocket *socket, int status, const QByteArray &body, bool withBody = true)
{
    socket->write(
        "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason(status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
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

void ProbeServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor) || m_connections >= MaxConnections) {
        socket->abort();
        socket->deleteLater();
        return;
    }
    ++m_connections;
    connect(socket, &QObject::destroyed, this, [this] { --m_connections; });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    // One timer: first for the request to arrive (else 408), then for the
    // peer to take the answer (else the connection is cut).
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    auto request = std::make_shared<QByteArray>();
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

    connect(socket, &QTcpSocket::readyRead, socket, [this, socket, request, answered, finish] {
        if (*answered) {
            socket->readAll(); // the rest is not read
            return;
        }
        request->append(socket->read(MaxRequestBytes + 1 - request->size()));
        if (!request->contains("\r\n\r\n")) {
            if (request->size() > MaxRequestBytes) {
                respond(socket, 431, error("request too large"));
                finish();
            }
            return;
        }
        answer(socket, request->left(request->indexOf("\r\n")));
        finish();
    });
}

void ProbeServer::answer(QTcpSocket *socket, const QByteArray &requestLine)
{
    // method SP origin-form SP HTTP/1.x, and nothing else
    const QList<QByteArray> parts = requestLine.split(' ');
    const bool methodOk = !parts.isEmpty() && !parts.first().isEmpty() &&
                          std::all_of(parts.first().cbegin(), parts.first().cend(),
                                      [](char c) { return c >= 'A' && c <= 'Z'; });
    if (parts.size() != 3 || !methodOk || !parts.at(1).startsWith('/') ||
        (parts.at(2) != "HTTP/1.1" && parts.at(2) != "HTTP/1.0")) {
        respond(socket, 400, error("bad request"));
        return;
    }
    const QByteArray &method = parts.at(0);
    const qsizetype query = parts.at(1).indexOf('?');
    const QByteArray path = query < 0 ? parts.at(1) : parts.at(1).left(query);
    if (method != "GET" && method != "HEAD") {
        respond(socket, 404, error("not found"));
        return;
    }
    const Answer found = m_route(path);
    respond(socket, found.status, found.body, method == "GET");
}

} // namespace canstop
