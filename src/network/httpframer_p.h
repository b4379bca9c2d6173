// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>

namespace canstop {

// Finds where the HTTP/1.1 messages in one direction of a connection begin
// and end (RFC 9112), without keeping them: enough to tell whether a request
// is in progress and where a header may be added to a response. Lenient
// where servers are (bare LF line ends, empty lines before a request); a
// stream it cannot frame, or one switched to another protocol, it stops
// framing for good.
class HttpFramer
{
public:
    enum class Side { Requests, Responses };
    enum class Event {
        None,
        Begun,      // the first byte of a message
        LineInHead, // the end of its start line or of a header line
        HeadEnded,  // the empty line after its header (interim responses: that is all)
        Ended,      // its last byte
        Upgraded,   // 101 Switching Protocols: what follows is not HTTP/1.1
        Garbled,    // not HTTP/1.1 as this framer reads it
    };

    explicit HttpFramer(Side side) : m_side(side) {}

    // Reads from `data` up to and including the next event, which it
    // stores in `*event`; returns how many bytes it read.
    qsizetype feed(const char *data, qsizetype size, Event *event);

    // Between a message's first byte and its last.
    bool inMessage() const;
    // Before the empty line that ends the head of the message in progress.
    bool inHead() const;
    // Upgraded or garbled: the rest of the stream is not framed.
    bool isOpaque() const { return m_state == State::Opaque; }

    // Requests: the method of the last request begun.
    const QByteArray &method() const { return m_method; }
    // Responses: the status of the last response begun.
    int status() const { return m_status; }
    // Responses: whether the response begun next answers a HEAD request,
    // and so has no body whatever its header says.
    void setAnswersHead(bool answersHead) { m_answersHead = answersHead; }

private:
    enum class State {
        Idle,
        StartLine,
        Header,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailer,
        UntilClose,
        // After the answer to a HEAD with a Content-Length: Qt 6.4's
        // QHttpServer writes that many bytes of body, which belong to no
        // response; a server that writes none begins its next response.
        AfterHead,
        SkipBody,
        Opaque
    };

    Event endLine();
    Event endStartLine();
    Event endHeaderLine();
    Event endHead();
    Event garbled();

    const Side m_side;
    State m_state = State::Idle;
    QByteArray m_line; // the line being read, without its end
    qsizetype m_headSize = 0;
    qint64 m_remaining = 0; // of the body or of the chunk
    qint64 m_contentLength = -1;
    bool m_chunked = false;
    bool m_otherCoding = false; // a transfer coding other than chunked last
    QByteArray m_method;
    int m_status = 0;
    bool m_answersHead = false;
};

} // namespace canstop
