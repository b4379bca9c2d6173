// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QMetaObject>
#include <QObject>

#include <mutex>
#include <utility>

namespace canstop {

// Qt orders a queued call's delivery after its posting with a mutex that
// ThreadSanitizer cannot see (Debian's Qt is not instrumented), so under
// TSan the same order is also carried by a mutex it can see: held while
// the call is made and posted (or connected), taken first at delivery.
// What the posting thread wrote before is visible to the call, and a race
// inside a queued call is still a race. Nothing at all without TSan.
#if defined(__SANITIZE_THREAD__)
class HandOff
{
public:
    HandOff() : m_lock(mutex()) {}

private:
    static std::mutex &mutex()
    {
        static std::mutex handOff;
        return handOff;
    }
    std::lock_guard<std::mutex> m_lock;
};
#else
class HandOff
{
public:
    HandOff() {} // NOLINT(modernize-use-equals-default): not trivial, so never "unused"
};
#endif

// Calls `function` in `context`'s thread, queued; not at all if `context`
// is destroyed first. Every call canstop makes into another thread goes
// through here, or through a queued connection whose function begins with
// a HandOff, made under one (StopToken::onStopRequested()).
template <typename Function> void postCall(QObject *context, Function &&function)
{
    const HandOff posting;
    QMetaObject::invokeMethod(
        context,
        [call = std::forward<Function>(function)]() mutable {
            {
                const HandOff delivered;
            }
            call();
        },
        Qt::QueuedConnection);
}

} // namespace canstop
