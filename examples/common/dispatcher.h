// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/eventdispatcher.h>

#include <cstring>

namespace examples {

// First thing in main(), before the QCoreApplication: canstop's event
// dispatcher in every thread the example owns, or Qt's with
// `--qt-dispatcher` (or CANSTOP_EVENT_DISPATCHER=qt), for comparison.
inline void chooseEventDispatcher(int argc, char **argv)
{
    for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        if (std::strcmp(argv[i], "--qt-dispatcher") == 0)
            canstop::EventDispatcher::setDefault(false);
    }
    canstop::EventDispatcher::installInMainThread();
}

} // namespace examples
