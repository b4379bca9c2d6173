// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "localserversocket_p.h"

#include "connectionguard_p.h"

namespace canstop {

void LocalServerSocket::close()
{
    if (!ConnectionGuard::closeGracefully(this))
        QLocalSocket::close();
}

} // namespace canstop
