// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// Hostile clients in a thread of their own: each connects, sends what the
// kernel takes of a payload, and closes without reading, which resets the
// connection (SO_LINGER 0 on TCP; unread replies on a Unix socket). The
// server's replies are still on their way when the reset comes: what a
// stranger can do to any server.

#include "loopback.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

class ResetStorm
{
public:
    // TCP clients of 127.0.0.1:`port`.
    ResetStorm(quint16 port, QByteArray payload, int clients)
        : m_port(port), m_payload(std::move(payload)), m_clients(clients)
    {}
    // Clients of the Unix socket at `path`.
    ResetStorm(QString path, QByteArray payload, int clients)
        : m_path(path.toLocal8Bit()), m_payload(std::move(payload)), m_clients(clients)
    {}
    ~ResetStorm()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    ResetStorm(const ResetStorm &) = delete;
    ResetStorm &operator=(const ResetStorm &) = delete;

    void start()
    {
        m_thread = std::thread([this] {
            for (int i = 0; i < m_clients; ++i) {
                if (!runOne())
                    m_failed.fetch_add(1);
                m_done.fetch_add(1);
            }
        });
    }
    // How many clients have come and gone; how many could not connect or send.
    int done() const { return m_done.load(); }
    int failed() const { return m_failed.load(); }

private:
    bool runOne()
    {
        const int fd =
            ::socket(m_path.isEmpty() ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        bool ok;
        if (m_path.isEmpty()) {
            const sockaddr_in address = loopbackAddress(m_port);
            ok = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
            const linger reset{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        } else {
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            std::strncpy(address.sun_path, m_path.constData(), sizeof address.sun_path - 1);
            ok = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        }
        // Never blocks on a server that has stopped reading.
        for (qsizetype at = 0; ok && at < m_payload.size();) {
            const ssize_t n = ::send(fd, m_payload.constData() + at, size_t(m_payload.size() - at),
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n <= 0)
                break;
            at += n;
        }
        if (!m_path.isEmpty()) {
            // A Unix socket resets its peer only when it closes holding unread data.
            pollfd reply{fd, POLLIN, 0};
            ::poll(&reply, 1, ReplyWaitMs);
        }
        ::close(fd);
        return ok;
    }

    static constexpr int ReplyWaitMs = 100; // a bound: an echo comes back in far less

    const quint16 m_port = 0;
    const QByteArray m_path;
    const QByteArray m_payload;
    const int m_clients;
    std::atomic<int> m_done{0};
    std::atomic<int> m_failed{0};
    std::thread m_thread;
};
