// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/lifecyclemanager.h>

#include <QDeadlineTimer>
#include <QPointer>

#include <functional>

namespace canstop {

// The LifecycleManager a graceful server drains with: the one it was given,
// or LifecycleManager::instance(), asked for when the server first needs it
// (listen(), a connection) rather than when it is made.
class ManagerLink
{
public:
    // `drain` runs on the manager's drainStarted(), in `server`'s thread;
    // `what` names the server in the warning for a null manager.
    ManagerLink(QObject *server, const char *what, std::function<void()> drain)
        : m_server(server), m_what(what), m_drain(std::move(drain))
    {}

    void use(LifecycleManager *manager);
    void followInstance() { m_followsInstance = true; }
    // Asks for LifecycleManager::instance() once, if following it.
    void resolve();
    LifecycleManager *get() const { return m_manager; }
    // The manager's shutdown deadline; none without a manager.
    QDeadlineTimer deadline() const
    {
        return m_manager ? m_manager->shutdownDeadline() : QDeadlineTimer(QDeadlineTimer::Forever);
    }

private:
    QObject *const m_server;
    const char *const m_what;
    const std::function<void()> m_drain;
    QPointer<LifecycleManager> m_manager;
    bool m_followsInstance = false;
};

} // namespace canstop
