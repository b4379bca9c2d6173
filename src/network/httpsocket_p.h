// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "httpframer_p.h"
#include "serversocket_p.h"

#include <QElapsedTimer>
#include <QList>

#include <chrono>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// The HTTP/1.1 side of an accepted connection (HttpSocket, HttpSslSocket),
// as the socket's child: it frames the requests Qt reads and the responses
// the application writes, so that a drain knows when a request is in
// progress, and it adds "Connection: close" to every response once the
// drain has begun. A connection it can no longer frame (a protocol upgrade,
// a stream it cannot read) after it has carried a request is busy until its
// peer closes it or the deadline: it might be in the middle of a request,
// and is never called drained on a guess.
class HttpExchange : public QObject
{
    Q_OBJECT

public:
    // In a drain, a request head not whole this long after its first byte
    // is cut (and named): a client sends a head at once, so this is one that
    // will not finish it, stalled or trickling (slowloris), and it must not
    // hold the shutdown to its deadline. Go's Server.ReadHeaderTimeout
    // bounds the same, from the same moment.
    static constexpr std::chrono::milliseconds SlowHeadInDrain{2000};

    // Made by the socket's constructor: it sees what Qt read before the
    // application has taken any of it.
    explicit HttpExchange(QTcpSocket *socket);
    // The exchange of `socket`, if it speaks HTTP/1.1.
    static HttpExchange *of(QIODevice *socket);

    // Frames what Qt reads from now on; `readNotifier` is the socket's own.
    void watchReads(QSocketNotifier *readNotifier);
    bool isFramed() const { return m_framed; }
    // A request has begun and its response has not ended; or it can no
    // longer tell, after a request.
    bool isBusy() const;
    // The head of a request is partly received.
    bool inRequestHead() const { return m_framed && m_requests.inHead(); }
    // How long ago the request head in progress began (inRequestHead()).
    qint64 requestHeadAgeMs() const { return m_headClock.elapsed(); }
    // What isBusy() waits for, for the report of an abandoned connection.
    QString busyWith() const;
    // Every response from now on carries Connection: close (RFC 9112 §9.6).
    void closeAfterResponses() { m_closing = true; }
    // The last response that ended said Connection: close: the client
    // sends nothing more on this connection.
    bool hasSaidClose() const { return m_saidClose; }

    // What the socket's writeData() writes: `data` as it is, or, when a
    // header is added, as returned (then not null).
    QByteArray frameOutput(const char *data, qint64 size);

Q_SIGNALS:
    // isBusy() may have changed: a request began, a response ended, or the
    // framing stopped.
    void busyMayHaveChanged();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void frameInput();
    void stopFraming(const char *why);

    QTcpSocket *const m_socket;
    QSslSocket *const m_tls;           // null in plain TCP
    QMetaObject::Connection m_framing; // readyRead to frameInput()
    HttpFramer m_requests{HttpFramer::Side::Requests};
    HttpFramer m_responses{HttpFramer::Side::Responses};
    QElapsedTimer m_headClock; // since the first byte of the latest request
    QList<bool> m_unanswered;  // requests received whole, oldest first: whether each is HEAD
    // bytesAvailable() just before Qt reads from the kernel (or, over TLS,
    // decrypts): what it reads is what is available beyond it when readyRead comes.
    qint64 m_availableBeforeRead = -1;
    bool m_framed = true;
    bool m_carriedRequests = false; // a request has begun on it
    bool m_closing = false;
    bool m_markedClose = false; // the response in progress carries Connection: close
    bool m_saidClose = false;
};

// A connection that speaks HTTP/1.1 (HttpExchange), in plain TCP.
class HttpSocket : public ServerSocket
{
    Q_OBJECT

public:
    explicit HttpSocket(QObject *parent) : ServerSocket(parent), m_exchange(new HttpExchange(this))
    {}

protected:
    qint64 writeData(const char *data, qint64 size) override;

private:
    HttpExchange *const m_exchange;
};

// The same over TLS.
class HttpSslSocket : public SslServerSocket
{
    Q_OBJECT

public:
    explicit HttpSslSocket(QObject *parent)
        : SslServerSocket(parent), m_exchange(new HttpExchange(this))
    {}

protected:
    qint64 writeData(const char *data, qint64 size) override;

private:
    HttpExchange *const m_exchange;
};

} // namespace canstop
