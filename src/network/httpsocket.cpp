// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "httpsocket_p.h"

#include "logging_p.h"

#include <QEvent>
#include <QSocketNotifier>

namespace canstop {

HttpExchange::HttpExchange(QTcpSocket *socket)
    : QObject(socket), m_socket(socket), m_tls(qobject_cast<QSslSocket *>(socket))
{
    // Connected before anyone else: it sees what Qt read before the
    // application has taken any of it.
    m_framing = connect(socket, &QIODevice::readyRead, this, &HttpExchange::frameInput);
    // Over TLS, Qt also decrypts outside a read from the kernel, in a
    // queued call to the socket: when the application has read enough for
    // more to fit in the buffer.
    if (m_tls)
        socket->installEventFilter(this);
}

HttpExchange *HttpExchange::of(QIODevice *socket)
{
    return socket ? socket->findChild<HttpExchange *>(QString(), Qt::FindDirectChildrenOnly)
                  : nullptr;
}

void HttpExchange::watchReads(QSocketNotifier *readNotifier)
{
    if (readNotifier)
        readNotifier->installEventFilter(this);
    else
        stopFraming("its reads cannot be watched");
}

bool HttpExchange::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::SockAct ||
        (watched == m_socket && event->type() == QEvent::MetaCall)) {
        // Made again, it would come after the application's own handlers,
        // which take what Qt read before it is framed.
        if (m_framed && !m_framing)
            stopFraming("the application cut its readyRead connections");
        m_availableBeforeRead = m_socket->bytesAvailable();
    }
    return QObject::eventFilter(watched, event);
}

bool HttpExchange::isBusy() const
{
    if (!m_framed)
        return m_carriedRequests;
    return m_requests.inMessage() || !m_unanswered.isEmpty() || m_responses.inMessage();
}

QString HttpExchange::busyWith() const
{
    if (!isBusy())
        return {};
    if (!m_framed)
        return QStringLiteral("HTTP it could no longer frame");
    if (m_requests.inMessage())
        return QStringLiteral("a request half received");
    if (m_responses.inMessage())
        return QStringLiteral("a response half sent");
    return QStringLiteral("%1 request(s) unanswered").arg(m_unanswered.size());
}

void HttpExchange::frameInput()
{
    if (!m_framed || m_availableBeforeRead < 0)
        return; // nothing new: readyRead emitted again by the application
    if (m_tls && !m_tls->isEncrypted()) {
        m_availableBeforeRead = -1; // the ClientHello, before the handshake takes it
        return;
    }
    const qint64 available = m_socket->bytesAvailable();
    const qint64 fresh = available - std::exchange(m_availableBeforeRead, -1);
    if (fresh <= 0)
        return;
    const QByteArray unread = m_socket->peek(available);
    if (unread.size() != available)
        return stopFraming("its input cannot be read ahead");
    const char *data = unread.constData() + (available - fresh);
    qint64 left = fresh;
    while (left > 0 && m_framed) {
        HttpFramer::Event event;
        const qsizetype taken = m_requests.feed(data, left, &event);
        data += taken;
        left -= taken;
        if (event == HttpFramer::Event::Begun) {
            m_carriedRequests = true;
            m_headClock.start();
            Q_EMIT busyMayHaveChanged();
        } else if (event == HttpFramer::Event::Ended)
            m_unanswered.append(m_requests.method() == "HEAD");
        else if (event == HttpFramer::Event::Garbled)
            stopFraming("a request is not HTTP/1.1");
    }
}

QByteArray HttpExchange::frameOutput(const char *data, qint64 size)
{
    if (!m_framed)
        return {};
    QByteArray rewritten; // only when a header is added
    qint64 at = 0;
    while (at < size && m_framed) {
        HttpFramer::Event event;
        const qsizetype taken = m_responses.feed(data + at, size - at, &event);
        if (!rewritten.isNull())
            rewritten.append(data + at, taken);
        at += taken;
        switch (event) {
        case HttpFramer::Event::Begun:
            m_responses.setAnswersHead(!m_unanswered.isEmpty() && m_unanswered.first());
            m_markedClose = false;
            break;
        case HttpFramer::Event::LineInHead:
            if (m_closing && !m_markedClose) {
                if (rewritten.isNull())
                    rewritten = QByteArray(data, at);
                rewritten.append("Connection: close\r\n");
                m_markedClose = true;
            }
            break;
        case HttpFramer::Event::Ended:
            if (!m_unanswered.isEmpty())
                m_unanswered.removeFirst();
            m_saidClose = m_markedClose;
            Q_EMIT busyMayHaveChanged();
            break;
        case HttpFramer::Event::Upgraded:
            stopFraming("it switched to another protocol");
            break;
        case HttpFramer::Event::Garbled:
            stopFraming("a response is not HTTP/1.1");
            break;
        case HttpFramer::Event::None:
        case HttpFramer::Event::HeadEnded:
            break;
        }
    }
    if (!rewritten.isNull())
        rewritten.append(data + at, size - at);
    return rewritten;
}

void HttpExchange::stopFraming(const char *why)
{
    m_framed = false;
    qCDebug(lcNetwork, "connection from %ls:%u: %s; no longer framed%s",
            qUtf16Printable(m_socket->peerAddress().toString()), m_socket->peerPort(), why,
            m_carriedRequests ? ", so busy until its peer closes it or the deadline" : "");
    Q_EMIT busyMayHaveChanged();
}

namespace {

// Writes what `exchange` makes of `data` with `write`, the socket's own writeData().
template <typename Write>
qint64 writeFramed(HttpExchange *exchange, const char *data, qint64 size, Write write)
{
    const QByteArray rewritten = exchange->frameOutput(data, size);
    if (rewritten.isNull())
        return write(data, size);
    const qint64 written = write(rewritten.constData(), rewritten.size());
    return written < 0 ? written : size;
}

} // namespace

qint64 HttpSocket::writeData(const char *data, qint64 size)
{
    return writeFramed(m_exchange, data, size, [this](const char *bytes, qint64 length) {
        return ServerSocket::writeData(bytes, length);
    });
}

qint64 HttpSslSocket::writeData(const char *data, qint64 size)
{
    return writeFramed(m_exchange, data, size, [this](const char *bytes, qint64 length) {
        return SslServerSocket::writeData(bytes, length);
    });
}

} // namespace canstop
