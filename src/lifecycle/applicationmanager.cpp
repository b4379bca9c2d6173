// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "applicationmanager_p.h"

#include "logging_p.h"

#include <atomic>

namespace canstop {

namespace {

std::atomic<LifecycleManager *> s_manager{nullptr};
std::atomic<bool> s_madeOnDemand{false}; // by instance(), not by the application

} // namespace

bool ApplicationManager::enrol(LifecycleManager *manager)
{
    if (s_manager.load() && s_madeOnDemand.load()) {
        // The one already there has the sessions of whatever needed it first.
        qCWarning(lcLifecycle,
                  "this LifecycleManager does nothing: LifecycleManager::instance() already made "
                  "the application's manager, for something that needed one before this one "
                  "existed (the QML singleton Lifecycle); make the LifecycleManager first");
        return false;
    }
    LifecycleManager *none = nullptr;
    s_manager.compare_exchange_strong(none, manager);
    return true;
}

void ApplicationManager::leave(LifecycleManager *manager)
{
    if (s_manager.compare_exchange_strong(manager, nullptr))
        s_madeOnDemand = false;
}

void ApplicationManager::madeOnDemand(LifecycleManager *manager)
{
    s_madeOnDemand = s_manager.load() == manager;
}

LifecycleManager *ApplicationManager::get()
{
    return s_manager.load();
}

} // namespace canstop
