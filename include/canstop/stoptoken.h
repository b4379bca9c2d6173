// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>

#include <QtGlobal>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace canstop {

class StopState;
class StopSource;

/// Whether the program's shutdown has begun, for work that has no event
/// loop to hear LifecycleManager::shutdownRequested(): a QtConcurrent or
/// QThreadPool task, a QThread::run() loop, a coroutine. A small copyable
/// value from LifecycleManager::stopToken(); copies may be made, read and
/// destroyed in any thread, and outlive the manager.
///
/// ```cpp
/// QtConcurrent::run([token = lifecycle.stopToken()] {
///     while (!token.isStopRequested() && indexNextFile()) {
///     }
/// });
/// ```
class CANSTOP_LIFECYCLE_EXPORT StopToken
{
public:
    /// A token that nothing will ever stop (stopPossible() is false).
    StopToken() noexcept;
    /// Copies share the stop; any thread.
    ///@{
    StopToken(const StopToken &other) noexcept;
    StopToken(StopToken &&other) noexcept;
    StopToken &operator=(const StopToken &other) noexcept;
    StopToken &operator=(StopToken &&other) noexcept;
    ~StopToken();
    ///@}

    /// True from the instant the shutdown begins, in every thread, before
    /// any slot has run: a terminating signal's arrival (once the manager
    /// watches signals), or a call of requestShutdown() in any thread. True
    /// also once its manager is destroyed. A lock-free read.
    bool isStopRequested() const noexcept;
    /// False for a default-constructed token.
    bool stopPossible() const noexcept { return d != nullptr; }

    /// Calls `functor` once, in `context`'s thread and never inside the call
    /// that stops, when the stop is requested, or soon if it has been
    /// already; never if `context` is destroyed first. False, with one
    /// warning, for a null context or functor; false for a token that
    /// cannot stop.
    bool onStopRequested(const QObject *context, std::function<void()> functor) const;

private:
    friend class StopSource;
    explicit StopToken(std::shared_ptr<StopState> state) noexcept;

    std::shared_ptr<StopState> d;
};

} // namespace canstop
