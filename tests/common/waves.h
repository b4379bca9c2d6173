// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// The soak's waves of clients (tests/tst_soak.cpp, bench/soak): `count`
// connections of one kind opened together, each served once, then all
// closed. Blocking sockets with a receive timeout; no Qt event loop. Each
// returns how many connections were served whole.

#include "loopback.h"

#include <QByteArray>
#include <QByteArrayList>

#include <memory>
#include <sys/time.h>
#include <vector>

namespace waves {

struct Connection
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = false;

    explicit Connection(quint16 port)
    {
        const timeval bound{10, 0}; // a server that answers nothing fails the wave, slowly
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
        const sockaddr_in address = loopbackAddress(port);
        ok = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    }
    ~Connection() { ::close(fd); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    bool send(const QByteArray &data)
    {
        return ok && ::send(fd, data.constData(), size_t(data.size()), MSG_NOSIGNAL) ==
                         ssize_t(data.size());
    }
    // Until `done(received)` or the end of the stream; what was received.
    template <typename Done> QByteArray receive(Done done)
    {
        QByteArray received;
        char buffer[4096];
        while (ok && !done(received)) {
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got <= 0)
                break;
            received.append(buffer, got);
        }
        return received;
    }
};

using Connections = std::vector<std::unique_ptr<Connection>>;

inline Connections open(quint16 port, int count)
{
    Connections connections;
    for (int i = 0; i < count; ++i)
        connections.push_back(std::make_unique<Connection>(port));
    return connections;
}

// 64 bytes echoed on each.
inline int echo(quint16 port, int count)
{
    const QByteArray message(64, 'e');
    Connections connections = open(port, count);
    int served = 0;
    for (auto &c : connections) {
        if (c->send(message) &&
            c->receive([&](const QByteArray &r) { return r.size() >= message.size(); }) == message)
            ++served;
    }
    return served;
}

// A whole response: its head and a Content-Length body.
inline bool isWholeResponse(const QByteArray &received)
{
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    const QByteArray head = received.left(end).toLower();
    const qsizetype field = head.indexOf("content-length:");
    const int length = field < 0 ? 0 : head.mid(field + 15).split('\r').value(0).trimmed().toInt();
    return received.size() >= end + 4 + length;
}

// Two requests on each keep-alive connection, one after the other.
inline int http(quint16 port, int count)
{
    const QByteArray request = "GET / HTTP/1.1\r\nHost: soak\r\n\r\n";
    Connections connections = open(port, count);
    int served = 0;
    for (auto &c : connections) {
        bool whole = true;
        for (int i = 0; i < 2 && whole; ++i)
            whole = c->send(request) && c->receive(isWholeResponse).startsWith("HTTP/1.1 200");
        served += whole ? 1 : 0;
    }
    return served;
}

// A handshake, a masked text frame echoed, and the closing handshake.
inline int webSocket(quint16 port, int count)
{
    const QByteArray handshake = "GET / HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                 "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    // FIN + text, masked, 4 bytes "soak" under the mask 0x00000000.
    const QByteArray text("\x81\x84\x00\x00\x00\x00soak", 10);
    const QByteArray echoed("\x81\x04soak", 6);
    // FIN + close, masked, code 1000.
    const QByteArray close("\x88\x82\x00\x00\x00\x00\x03\xe8", 8);
    Connections connections = open(port, count);
    int served = 0;
    for (auto &c : connections) {
        if (!c->send(handshake) || !c->receive([](const QByteArray &r) {
                                         return r.contains("\r\n\r\n");
                                     }).startsWith("HTTP/1.1 101"))
            continue;
        if (!c->send(text) ||
            c->receive([&](const QByteArray &r) { return r.size() >= echoed.size(); }) != echoed)
            continue;
        // The server answers the close, then closes: the stream ends.
        if (c->send(close) &&
            c->receive([](const QByteArray &) { return false; }).startsWith("\x88"))
            ++served;
    }
    return served;
}

// Scrapes of /readyz, one connection after another (as a prober does).
inline int probe(quint16 port, int count)
{
    const QByteArray request = "GET /readyz HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n";
    int served = 0;
    for (int i = 0; i < count; ++i) {
        Connection c(port);
        if (c.send(request) &&
            c.receive([](const QByteArray &) { return false; }).startsWith("HTTP/1.1 200"))
            ++served;
    }
    return served;
}

} // namespace waves
