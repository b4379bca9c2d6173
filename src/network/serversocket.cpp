// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "serversocket_p.h"

#include "connectionguard_p.h"

namespace canstop {

void ServerSocket::disconnectFromHost()
{
    // The peer has closed (Qt is ending the socket after reading its EOF):
    // nothing more can come from it, so nothing is left to linger for.
    if (error() == RemoteHostClosedError || !ConnectionGuard::closeGracefully(this))
        QTcpSocket::disconnectFromHost();
}

} // namespace canstop
