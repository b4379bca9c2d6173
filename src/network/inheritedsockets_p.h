// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArrayList>
#include <QHostAddress>
#include <QString>

namespace canstop {

// Listening sockets a service manager passed to this process (socket
// activation, sd_listen_fds(3) without libsystemd): LISTEN_FDS descriptors
// from fd 3, named by LISTEN_FDNAMES, meant for us when LISTEN_PID is our
// pid. Read, made close-on-exec and unset on first use, once per process;
// each socket is taken at most once. Any thread.
class InheritedSockets
{
public:
    enum class Family { Tcp, Local };

    // The named socket, or with an empty name the first listening socket of
    // `family` not yet taken; -1 when there is none, with one warning when
    // the named one is not a listening socket of that family or, without a
    // name, when sockets were passed but none fits.
    static int takeListener(Family family, const QString &name);
    // A passed listening TCP socket bound to `address` and `port` (an
    // upgrade's, or a service manager's), so that listen() takes it rather
    // than fail with the address in use; -1 when there is none, silently.
    static int takeListenerAt(const QHostAddress &address, quint16 port);
    // What LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES say, for the process
    // `ownPid`: one name per passed descriptor from fd 3 ("unknown" where
    // they name none), or none, with one warning for what is garbled.
    static QByteArrayList parse(const QByteArray &pid, const QByteArray &fds,
                                const QByteArray &names, qint64 ownPid);
};

} // namespace canstop
