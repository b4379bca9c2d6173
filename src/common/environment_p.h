// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <optional>

namespace canstop {

// Reads and unsets an environment variable that was meant for this process
// only (systemd's NOTIFY_SOCKET, LISTEN_FDS, …): children must not inherit
// it. None when it was not set. Header only: the network library uses it too.
inline std::optional<QByteArray> takeEnvironment(const char *name)
{
    if (!qEnvironmentVariableIsSet(name))
        return std::nullopt;
    QByteArray value = qgetenv(name);
    qunsetenv(name);
    return value;
}

} // namespace canstop
