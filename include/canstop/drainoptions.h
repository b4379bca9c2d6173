// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_network_export.h>

#include <QObject>
#include <QSharedDataPointer>

#include <chrono>

namespace canstop {

class DrainOptionsData;

/// How a graceful server drains its connections: one value for every server
/// (GracefulTcpServer, GracefulLocalServer, GracefulWebSocketServer), set
/// with their setDrainOptions(). Implicitly shared: copies are cheap. Each
/// connection keeps the options it was accepted with, so a change applies
/// to connections accepted from then on. A setter refuses a bad value with
/// one warning and returns false, and the value stays as it was.
///
/// ```cpp
/// canstop::DrainOptions options;
/// options.setIdleGrace(std::chrono::milliseconds(100));
/// options.setLinger(std::chrono::seconds(2));
/// server.setDrainOptions(options);
/// ```
class CANSTOP_NETWORK_EXPORT DrainOptions
{
    Q_GADGET

public:
    /// What the connections speak, as far as a drain needs to know.
    enum class Protocol {
        /// Bytes: a connection is busy while it has unread input or unsent
        /// output, or has not been quiet for idleGrace().
        Raw,
        /// HTTP/1.1 (RFC 9112), TCP servers only: a connection is also busy
        /// from the first byte of a request to the last byte of its
        /// response; in a drain every response carries "Connection: close"
        /// and a connection closes once the response that said so has
        /// ended. A connection upgraded to another protocol (101), or that
        /// is not HTTP/1.1, is drained as Raw.
        Http1,
    };
    Q_ENUM(Protocol)

    /// maxPendingOutput() unless set: 1 MiB.
    static constexpr qint64 DefaultMaxPendingOutput = qint64{1024} * 1024;
    /// maxPendingInput() unless set: 1 MiB.
    static constexpr qint64 DefaultMaxPendingInput = qint64{1024} * 1024;
    /// linger() unless set: 1 s.
    static constexpr std::chrono::milliseconds DefaultLinger{1000};
    /// idleGrace() unless set: 250 ms, long enough for a stream's sender to
    /// get past a delayed ACK or one retransmission timeout (200 ms minimum
    /// on Linux) without being cut in the pause.
    static constexpr std::chrono::milliseconds DefaultIdleGrace{250};

    /// The defaults.
    DrainOptions();
    /// Copies share their data until one is changed.
    ///@{
    DrainOptions(const DrainOptions &other);
    DrainOptions(DrainOptions &&other) noexcept;
    DrainOptions &operator=(const DrainOptions &other);
    DrainOptions &operator=(DrainOptions &&other) noexcept;
    ~DrainOptions();
    ///@}
    /// Equal when every option is.
    ///@{
    bool operator==(const DrainOptions &other) const;
    bool operator!=(const DrainOptions &other) const { return !(*this == other); }
    ///@}

    /// Output a connection may hold unsent in the kernel (its send buffer)
    /// before Qt holds any; 1 to INT_MAX bytes.
    ///@{
    qint64 maxPendingOutput() const;
    bool setMaxPendingOutput(qint64 bytes);
    ///@}
    /// How far Qt reads ahead of the application on each connection (its
    /// read buffer size), so that a fast sender cannot grow the server's
    /// memory; 1 to INT_MAX bytes. A connection that must hold a larger
    /// message whole can lift it with setReadBufferSize(0).
    ///@{
    qint64 maxPendingInput() const;
    bool setMaxPendingInput(qint64 bytes);
    ///@}
    /// How long a connection must be quiet before a drain closes it, unless
    /// the application marks it (markBusy(), markIdle()); 0 to INT_MAX ms.
    ///@{
    std::chrono::milliseconds idleGrace() const;
    bool setIdleGrace(std::chrono::milliseconds grace);
    ///@}
    /// How long a graceful close waits for the peer to close its side after
    /// getting EOF (never past the shutdown's deadline); not negative.
    ///@{
    std::chrono::milliseconds linger() const;
    bool setLinger(std::chrono::milliseconds linger);
    ///@}
    /// Whether, in a drain, a graceful close waits for the peer to close its
    /// side until the shutdown's deadline rather than for linger(), and
    /// names a peer that has not closed by then (abandoned: "its peer never
    /// closed its side"): for protocols with a closing handshake, such as
    /// WebSocket. Off by default.
    ///@{
    bool awaitsPeerClose() const;
    void setAwaitPeerClose(bool await);
    ///@}
    /// What the connections speak; Raw by default. Refused if not a Protocol.
    ///@{
    Protocol protocol() const;
    bool setProtocol(Protocol protocol);
    ///@}

private:
    QSharedDataPointer<DrainOptionsData> d;
};

} // namespace canstop
