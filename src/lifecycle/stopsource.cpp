// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "stopsource_p.h"

#include "logging_p.h"
#include "queuedcall_p.h"

#include <QMetaObject>

namespace canstop {

StopSource::StopSource(const std::atomic<int> *signalCount)
{
    m_state->signalCount = signalCount;
    m_state->notifier = &m_notifier;
}

StopSource::~StopSource()
{
    requestStop();
    const std::lock_guard lock(m_state->mutex);
    m_state->notifier = nullptr;
}

void StopSource::followSignals()
{
    if (!m_state->signalCount)
        return;
    int unset = -1;
    m_state->signalsBefore.compare_exchange_strong(unset, m_state->signalCount->load());
}

void StopSource::requestStop()
{
    if (m_state->requested.exchange(true))
        return;
    const std::lock_guard lock(m_state->mutex);
    if (m_state->notifier)
        Q_EMIT m_state->notifier->stopRequested(); // queued to each context
}

StopToken::StopToken() noexcept = default;
StopToken::StopToken(std::shared_ptr<StopState> state) noexcept : d(std::move(state)) {}
StopToken::StopToken(const StopToken &other) noexcept = default;
StopToken::StopToken(StopToken &&other) noexcept = default;
StopToken &StopToken::operator=(const StopToken &other) noexcept = default;
StopToken &StopToken::operator=(StopToken &&other) noexcept = default;
StopToken::~StopToken() = default;

bool StopToken::isStopRequested() const noexcept
{
    if (!d)
        return false;
    if (d->requested.load(std::memory_order_acquire))
        return true;
    const int before = d->signalsBefore.load(std::memory_order_relaxed);
    return before >= 0 && d->signalCount->load(std::memory_order_relaxed) != before;
}

bool StopToken::onStopRequested(const QObject *context, std::function<void()> functor) const
{
    if (!context || !functor) {
        qCWarning(lcLifecycle, "onStopRequested(): refused: %s",
                  context ? "the functor is empty" : "the context is null");
        return false;
    }
    if (!d)
        return false;
    // Connected and, if the stop came first, posted as well: whichever
    // reaches the context's thread first runs it. A queued connection, not
    // postCall(): Qt drops it with its context, whenever that goes.
    auto once = std::make_shared<std::atomic<bool>>(false);
    const auto call = [once, functor = std::move(functor)] {
        {
            const HandOff delivered;
        }
        if (!once->exchange(true))
            functor();
    };
    {
        const std::lock_guard lock(d->mutex);
        const HandOff connecting;
        if (d->notifier && !d->requested.load())
            QObject::connect(d->notifier, &StopNotifier::stopRequested, context, call,
                             Qt::ConnectionType(Qt::QueuedConnection | Qt::SingleShotConnection));
    }
    if (isStopRequested())
        postCall(const_cast<QObject *>(context), call);
    return true;
}

} // namespace canstop
