// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/stoptoken.h>

#include <QObject>

#include <atomic>
#include <memory>
#include <mutex>

namespace canstop {

// Emits once, when the stop is requested: what onStopRequested() connects to.
class StopNotifier : public QObject
{
    Q_OBJECT

Q_SIGNALS:
    void stopRequested();
};

// What a source and its tokens share; tokens may outlive the source.
class StopState
{
public:
    std::atomic<bool> requested{false};
    // A count of terminating signals, in static storage (the hard stop's
    // handler writes it), and its value when the source began to follow
    // it; -1 until then.
    const std::atomic<int> *signalCount = nullptr;
    std::atomic<int> signalsBefore{-1};
    std::mutex mutex;
    StopNotifier *notifier = nullptr; // under `mutex`; null once the source is gone
};

// The program's stop token: requested once, from any thread, the moment
// the shutdown begins, and true already the instant a terminating signal
// is counted once followSignals() has been called, before any thread has
// acted on it. Lives in the manager's thread; when it is destroyed, its
// tokens read as stopped.
class StopSource
{
public:
    // `signalCount` is read from any thread, never written, and outlives
    // every token.
    explicit StopSource(const std::atomic<int> *signalCount);
    ~StopSource();
    StopSource(const StopSource &) = delete;
    StopSource &operator=(const StopSource &) = delete;

    StopToken token() const { return StopToken(m_state); }
    // Signals counted from now on stop its tokens.
    void followSignals();
    // Any thread; the first call notifies.
    void requestStop();

private:
    const std::shared_ptr<StopState> m_state = std::make_shared<StopState>();
    StopNotifier m_notifier;
};

} // namespace canstop
