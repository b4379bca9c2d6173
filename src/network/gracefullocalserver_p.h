// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefullocalserver.h>

#include "acceptor_p.h"
#include "connectionset_p.h"
#include "managerlink_p.h"

namespace canstop {

class GracefulLocalServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulLocalServer)

public:
    explicit GracefulLocalServerPrivate(GracefulLocalServer *server);

    void startDraining();
    void closeListener();

    GracefulLocalServer *const q_ptr;
    ManagerLink manager;
    bool draining = false;
    DrainOptions options; // each connection takes a copy
    ConnectionSet connections;
    Acceptor acceptor; // last: its hooks use the members above
};

} // namespace canstop
