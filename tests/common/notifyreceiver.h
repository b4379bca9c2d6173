// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// The service manager's end of the sd_notify protocol, as systemd has it: an
// AF_UNIX datagram socket with SO_PASSCRED (each message carries its
// sender's pid) that closes any descriptor sent with a message, which is
// how systemd-notify's BARRIER=1 learns it was heard. Synchronous, like
// ChildProcess: each wait reads until it finds what it waits for or its
// time is up. Descriptors sent with FDSTORE=1 are kept, as in systemd's fd
// store, and belong to the test.

#include <QByteArray>
#include <QByteArrayList>
#include <QDeadlineTimer>
#include <QList>
#include <QTemporaryDir>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct NotifyMessage
{
    qint64 pid = 0;
    QByteArray text;
    qint64 receivedUs = 0; // CLOCK_MONOTONIC
    QList<int> fds;        // kept, for FDSTORE=1 only: the test closes them

    bool has(const QByteArray &line) const { return text.split('\n').contains(line); }
    QByteArray value(const QByteArray &key) const
    {
        for (const QByteArray &line : text.split('\n')) {
            if (line.startsWith(key + '='))
                return line.mid(key.size() + 1);
        }
        return {};
    }
};

inline qint64 monotonicUs()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

class NotifyReceiver
{
public:
    enum Kind { Path, Abstract };

    explicit NotifyReceiver(Kind kind = Path)
    {
        static int serial = 0;
        m_address = kind == Path ? (m_dir.path() + QStringLiteral("/notify")).toLocal8Bit()
                                 : QByteArray("@canstop-test-") + QByteArray::number(::getpid()) +
                                       '-' + QByteArray::number(++serial);
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const int on = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, m_address.constData(), size_t(m_address.size()));
        if (kind == Abstract)
            address.sun_path[0] = '\0';
        const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(m_address.size()));
        m_bound = ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), length) == 0;
    }
    ~NotifyReceiver() { ::close(m_fd); }

    bool isBound() const { return m_bound; }
    // The value for NOTIFY_SOCKET.
    QByteArray address() const { return m_address; }
    const QList<NotifyMessage> &messages() const { return m_messages; }

    // Until a message with `line` arrives after the one an earlier wait
    // found; that message, or none when `timeoutMs` passed.
    std::optional<NotifyMessage> waitFor(const QByteArray &line, int timeoutMs = 20000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            for (; m_searched < m_messages.size(); ++m_searched) {
                if (m_messages.at(m_searched).has(line))
                    return m_messages.at(m_searched++);
            }
            const int left = int(deadline.remainingTime());
            if (left == 0 || !receive(left))
                return std::nullopt;
        }
    }

    // Reads what has arrived by now, without waiting.
    void collect()
    {
        while (receive(0)) {
        }
    }

    int count(const QByteArray &line) const
    {
        return int(std::count_if(m_messages.cbegin(), m_messages.cend(),
                                 [&line](const NotifyMessage &m) { return m.has(line); }));
    }

    // From the start again, for waitFor().
    void rewind() { m_searched = 0; }

private:
    bool receive(int timeoutMs)
    {
        pollfd readable{m_fd, POLLIN, 0};
        if (::poll(&readable, 1, timeoutMs) <= 0)
            return false;
        char data[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(16 * sizeof(int))];
        iovec vector{data, sizeof data};
        msghdr header{};
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        header.msg_control = control;
        header.msg_controllen = sizeof control;
        const ssize_t got = ::recvmsg(m_fd, &header, MSG_CMSG_CLOEXEC);
        if (got < 0)
            return false;
        NotifyMessage message;
        message.text = QByteArray(data, qsizetype(got));
        message.receivedUs = monotonicUs();
        for (cmsghdr *c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
            if (c->cmsg_level != SOL_SOCKET)
                continue;
            if (c->cmsg_type == SCM_CREDENTIALS) {
                ucred credentials{};
                std::memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
                message.pid = credentials.pid;
            } else if (c->cmsg_type == SCM_RIGHTS) {
                const auto count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; ++i) {
                    int fd = -1;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    message.fds.append(fd);
                }
            }
        }
        // Stored descriptors are kept, as systemd keeps them; any other is
        // closed, which is how a BARRIER=1 is answered.
        if (!message.has("FDSTORE=1")) {
            for (const int fd : std::as_const(message.fds))
                ::close(fd);
            message.fds.clear();
        }
        m_messages.append(message);
        return true;
    }

    QTemporaryDir m_dir;
    QByteArray m_address;
    int m_fd = -1;
    bool m_bound = false;
    QList<NotifyMessage> m_messages;
    qsizetype m_searched = 0;
};
