// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefullocalserver.h>

#include "connectionset_p.h"
#include "managerlink_p.h"

namespace canstop {

class GracefulLocalServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulLocalServer)

public:
    explicit GracefulLocalServerPrivate(GracefulLocalServer *server);

    void startDraining();

    GracefulLocalServer *const q_ptr;
    ManagerLink manager;
    bool draining = false;
    const std::shared_ptr<DrainSettings> settings = std::make_shared<DrainSettings>();
    ConnectionSet connections;
};

} // namespace canstop
