// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "httpframer_p.h"

#include <QByteArrayList>

#include <algorithm>
#include <cstring>

namespace canstop {

namespace {

// Far beyond what any server accepts; past them the stream is not HTTP.
constexpr qsizetype MaxLine = qsizetype{64} * 1024;
constexpr qsizetype MaxHead = qsizetype{1024} * 1024;
constexpr qint64 MaxChunk = qint64(1) << 60;

bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

bool HttpFramer::inMessage() const
{
    return m_state != State::Idle && m_state != State::Opaque && m_state != State::AfterHead &&
           m_state != State::SkipBody;
}

bool HttpFramer::inHead() const
{
    return m_state == State::StartLine || m_state == State::Header;
}

qsizetype HttpFramer::feed(const char *data, qsizetype size, Event *event)
{
    *event = Event::None;
    qsizetype at = 0;
    while (at < size) {
        switch (m_state) {
        case State::Opaque:
        case State::UntilClose:
            return size;
        case State::AfterHead: {
            // The next response, or a body? Decided on the bytes, however
            // they are split: the first of them, up to the length of
            // "HTTP/1." (or of the body, if shorter), held in m_line.
            static constexpr char Next[] = "HTTP/1.";
            const qsizetype decideOn = std::min<qint64>(m_remaining, sizeof Next - 1);
            m_line.append(data[at++]);
            const bool matches = std::memcmp(m_line.constData(), Next, size_t(m_line.size())) == 0;
            if (matches && m_line.size() < decideOn)
                break;
            if (matches) { // the next response has begun: m_line is its start
                m_state = State::StartLine;
                m_headSize = m_line.size();
                m_contentLength = -1;
                m_chunked = m_otherCoding = false;
                *event = Event::Begun;
                return at;
            }
            m_remaining -= m_line.size(); // those were the body's
            m_line.clear();
            m_state = m_remaining > 0 ? State::SkipBody : State::Idle;
            break;
        }
        case State::SkipBody: {
            const qint64 taken = std::min<qint64>(m_remaining, size - at);
            at += taken;
            m_remaining -= taken;
            if (m_remaining == 0)
                m_state = State::Idle;
            break;
        }
        case State::Idle: {
            const char c = data[at++];
            if (m_side == Side::Requests && (c == '\r' || c == '\n'))
                continue; // empty lines before a request are allowed
            m_state = State::StartLine;
            m_line = QByteArray(1, c);
            m_headSize = 1;
            m_contentLength = -1;
            m_chunked = m_otherCoding = false;
            *event = Event::Begun;
            return at;
        }
        case State::Body:
        case State::ChunkData: {
            const qint64 taken = std::min<qint64>(m_remaining, size - at);
            at += taken;
            m_remaining -= taken;
            if (m_remaining > 0)
                break;
            if (m_state == State::ChunkData) {
                m_state = State::ChunkDataEnd;
                break;
            }
            m_state = State::Idle;
            *event = Event::Ended;
            return at;
        }
        default: { // a line
            const char *end = static_cast<const char *>(std::memchr(data + at, '\n', size - at));
            const qsizetype length = end ? end - (data + at) : size - at;
            m_line.append(data + at, length);
            at += end ? length + 1 : length;
            if (m_state != State::ChunkSize && m_state != State::ChunkDataEnd)
                m_headSize += length;
            if (m_line.size() > MaxLine || m_headSize > MaxHead) {
                *event = garbled();
                return at;
            }
            if (!end)
                break;
            if (m_line.endsWith('\r'))
                m_line.chop(1);
            *event = endLine();
            m_line.clear();
            if (*event != Event::None)
                return at;
        }
        }
    }
    return at;
}

HttpFramer::Event HttpFramer::endLine()
{
    switch (m_state) {
    case State::StartLine:
        return endStartLine();
    case State::Header:
        return endHeaderLine();
    case State::ChunkSize: {
        qint64 chunk = 0;
        qsizetype digits = 0;
        for (; digits < m_line.size(); ++digits) {
            const int digit = hexDigit(m_line.at(digits));
            if (digit < 0)
                break;
            if (chunk > (MaxChunk - digit) / 16)
                return garbled(); // checked before it could overflow
            chunk = chunk * 16 + digit;
        }
        if (digits == 0)
            return garbled();
        m_remaining = chunk;
        m_state = chunk > 0 ? State::ChunkData : State::Trailer;
        return Event::None;
    }
    case State::ChunkDataEnd:
        if (!m_line.isEmpty())
            return garbled();
        m_state = State::ChunkSize;
        return Event::None;
    case State::Trailer:
        if (!m_line.isEmpty())
            return Event::None;
        m_state = State::Idle;
        return Event::Ended;
    default:
        Q_UNREACHABLE();
        return Event::None;
    }
}

HttpFramer::Event HttpFramer::endStartLine()
{
    if (m_side == Side::Requests) {
        const qsizetype space = m_line.indexOf(' ');
        if (space <= 0 || !std::all_of(m_line.begin(), m_line.begin() + space, isTokenChar))
            return garbled();
        m_method = m_line.left(space);
    } else {
        // HTTP/1.x NNN[ reason]
        bool ok = false;
        m_status = m_line.mid(9, 3).toInt(&ok);
        if (!m_line.startsWith("HTTP/1.") || m_line.size() < 12 || m_line.at(8) != ' ' || !ok ||
            m_status < 100)
            return garbled();
    }
    m_state = State::Header;
    return Event::LineInHead;
}

HttpFramer::Event HttpFramer::endHeaderLine()
{
    if (m_line.isEmpty())
        return endHead();
    if (m_line.startsWith(' ') || m_line.startsWith('\t'))
        return Event::LineInHead; // a folded line: part of a field nobody here reads
    const qsizetype colon = m_line.indexOf(':');
    if (colon <= 0)
        return garbled();
    const QByteArray name = m_line.left(colon).toLower();
    const QByteArray value = m_line.mid(colon + 1).trimmed();
    if (name == "content-length") {
        // A list of the same value is that value (RFC 9110 §8.6).
        for (const QByteArray &part : value.split(',')) {
            const QByteArray digits = part.trimmed();
            bool ok = !digits.isEmpty() && std::all_of(digits.begin(), digits.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
            const qint64 length = ok ? digits.toLongLong(&ok) : -1;
            if (!ok || (m_contentLength >= 0 && m_contentLength != length))
                return garbled();
            m_contentLength = length;
        }
    } else if (name == "transfer-encoding") {
        // The last coding decides how the message ends; "identity" (RFC
        // 2616's, since withdrawn) is no coding at all.
        for (const QByteArray &part : value.split(',')) {
            const QByteArray coding = part.trimmed().toLower();
            if (coding.isEmpty() || coding == "identity")
                continue;
            m_chunked = coding == "chunked";
            m_otherCoding = !m_chunked;
        }
    }
    return Event::LineInHead;
}

HttpFramer::Event HttpFramer::endHead()
{
    const auto ended = [this] {
        m_state = State::Idle;
        return Event::Ended;
    };
    if (m_side == Side::Requests) {
        if (m_otherCoding)
            return garbled(); // a server answers 400 and closes
        if (m_chunked)
            m_state = State::ChunkSize;
        else if (m_contentLength > 0)
            m_state = State::Body;
        else
            return ended();
        m_remaining = m_contentLength;
        return Event::HeadEnded;
    }
    if (m_status == 101) {
        m_state = State::Opaque;
        return Event::Upgraded;
    }
    if (m_status < 200) { // interim: the final response follows
        m_state = State::Idle;
        return Event::HeadEnded;
    }
    if (m_answersHead && m_contentLength > 0 && !m_chunked) {
        m_state = State::AfterHead;
        m_remaining = m_contentLength;
        return Event::Ended;
    }
    if (m_answersHead || m_status == 204 || m_status == 304)
        return ended();
    if (m_chunked)
        m_state = State::ChunkSize;
    else if (m_otherCoding || m_contentLength < 0)
        m_state = State::UntilClose; // ends when the server closes the connection
    else if (m_contentLength > 0)
        m_state = State::Body;
    else
        return ended();
    m_remaining = m_contentLength;
    return Event::HeadEnded;
}

HttpFramer::Event HttpFramer::garbled()
{
    m_state = State::Opaque;
    m_line.clear();
    return Event::Garbled;
}

} // namespace canstop
