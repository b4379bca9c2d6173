// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "trackedfuture_p.h"

#include "queuedcall_p.h"

#include <QThread>

namespace canstop {

TrackedFuture::TrackedFuture(const QFuture<void> &future, SessionToken session,
                             const StopToken &stop, bool cancelAtStop, QObject *parent)
    : QObject(parent), m_session(std::move(session))
{
    // finished() also follows a cancel, but only once the work has returned:
    // a QtConcurrent::run() task cannot be interrupted, and is waited for.
    connect(&m_watcher, &QFutureWatcherBase::finished, this, [this] {
        m_session.reset();
        deleteLater();
    });
    if (cancelAtStop)
        stop.onStopRequested(this, [this] { m_watcher.cancel(); });
    m_watcher.setFuture(future); // one already finished reports it, queued
}

void TrackedFuture::track(const QFuture<void> &future, SessionToken session, const StopToken &stop,
                          bool cancelAtStop, QObject *parent)
{
    auto make = [=, session = std::move(session)]() mutable {
        new TrackedFuture(future, std::move(session), stop, cancelAtStop, parent);
    };
    if (QThread::currentThread() == parent->thread())
        make();
    else
        postCall(parent, std::move(make));
}

} // namespace canstop
