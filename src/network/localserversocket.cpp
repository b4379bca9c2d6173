// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "localserversocket_p.h"

#include "connectionguard_p.h"

namespace canstop {

void LocalServerSocket::close()
{
    auto *guard = findChild<ConnectionGuard *>(QString(), Qt::FindDirectChildrenOnly);
    if (!guard || state() != ConnectedState || !guard->closeGracefully())
        QLocalSocket::close();
}

} // namespace canstop
