// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// What a plain socket receives, read without blocking: for tests that must
// see an EOF or a reset as it is, where QTcpSocket and QLocalSocket close
// by themselves and drop what they held.

#include <QByteArray>

#include <cerrno>
#include <sys/socket.h>

struct RawReceiver
{
    explicit RawReceiver(int socket) : fd(socket) {}

    const int fd;
    QByteArray data;
    bool ended = false; // the peer closed, or the socket failed
    int error = 0;      // errno of the failure

    // Reads what has come; true once it has ended.
    bool receive()
    {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                data.append(buffer, n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                ended = true;
                error = n < 0 ? errno : 0;
            }
            return ended;
        }
    }

    // A reset or a broken pipe the kernel has recorded (SO_ERROR), 0 if none.
    int pendingError() const
    {
        int value = -1;
        socklen_t size = sizeof value;
        return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &size) == 0 ? value : -1;
    }
};
