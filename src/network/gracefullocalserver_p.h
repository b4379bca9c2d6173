// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefullocalserver.h>

#include "acceptor_p.h"
#include "connectionset_p.h"
#include "managerlink_p.h"

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

class GracefulLocalServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulLocalServer)

public:
    explicit GracefulLocalServerPrivate(GracefulLocalServer *server);

    void startDraining();
    void closeListener();
    // Serves `fd` with the server's own notifier, never through QLocalServer,
    // whose close() removes the socket's file: a passed or stored socket's
    // file belongs to the next instance.
    void adopt(int fd);
    // Moves QLocalServer's listener to adopt(), its file kept. False with one
    // warning when it cannot.
    bool takeFromQt();
    int listener() const;

    GracefulLocalServer *const q_ptr;
    ManagerLink manager;
    int ownListener = -1; // adopt()'s
    QSocketNotifier *ownNotifier = nullptr;
    bool inherited = false;
    bool stored = false;
    bool draining = false;
    DrainOptions options; // each connection takes a copy
    ConnectionSet connections;
    Acceptor acceptor; // last: its hooks use the members above
};

} // namespace canstop
