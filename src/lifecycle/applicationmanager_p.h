// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QtGlobal>

namespace canstop {

class LifecycleManager;

// Which manager is the application's, for LifecycleManager::instance(): the
// first one made, or one that instance() made on demand before any (for the
// QML singleton), after which no other may work, since two would run two
// shutdowns. Process-wide; any thread.
class ApplicationManager
{
public:
    // A manager has been made: false, with one warning, if it must do nothing.
    static bool enrol(LifecycleManager *manager);
    static void leave(LifecycleManager *manager);
    // instance() made `manager` because there was none.
    static void madeOnDemand(LifecycleManager *manager);
    static LifecycleManager *get();
};

} // namespace canstop
