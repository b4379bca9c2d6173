// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "managerlink_p.h"

#include "logging_p.h"

#include <utility>

namespace canstop {

void ManagerLink::use(LifecycleManager *manager)
{
    m_manager = manager;
    if (!manager) {
        qCWarning(lcNetwork,
                  "%s without a LifecycleManager: connections are not drained at shutdown", m_what);
        return;
    }
    // Direct when in the manager's thread: the backlog is taken, and
    // counted, before the session gate closes.
    QObject::connect(manager, &LifecycleManager::drainStarted, m_server, m_drain);
}

void ManagerLink::resolve()
{
    if (std::exchange(m_followsInstance, false))
        use(LifecycleManager::instance());
}

} // namespace canstop
