// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QMetaObject>
#include <QObject>

#include <mutex>
#include <utility>

namespace canstop {

// Calls `function` in `context`'s thread, queued; not at all if `context`
// is destroyed first. Every call canstop makes into another thread goes
// through here.
//
// Qt orders a queued call's delivery after its posting with a mutex that
// ThreadSanitizer cannot see (Debian's Qt is not instrumented), so under
// TSan the same order is also carried by a mutex it can see: what the
// posting thread wrote before posting is visible to the call, and a race
// inside a queued call is still a race.
template <typename Function> void postCall(QObject *context, Function &&function)
{
#if defined(__SANITIZE_THREAD__)
    static std::mutex handOff;
    const std::lock_guard posting(handOff);
    QMetaObject::invokeMethod(
        context,
        [call = std::forward<Function>(function)]() mutable {
            {
                const std::lock_guard delivered(handOff);
            }
            call();
        },
        Qt::QueuedConnection);
#else
    QMetaObject::invokeMethod(context, std::forward<Function>(function), Qt::QueuedConnection);
#endif
}

} // namespace canstop
