// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "trackedfuture_p.h"

#include "queuedcall_p.h"

#include <QThread>
#include <QThreadPool>

namespace canstop {

TrackedFuture::TrackedFuture(const QFuture<void> &future, const QString &what, SessionToken session,
                             const StopToken &stop, bool cancelAtStop, QObject *parent)
    : QObject(parent), m_what(what),
      // Public in QFutureInterfaceBase, though undocumented: the only way to
      // learn a future's pool (QtConcurrent::run() and then(pool) set it).
      m_pool(QFutureInterfaceBase::get(future).threadPool()), m_session(std::move(session))
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

void TrackedFuture::track(const QFuture<void> &future, const QString &what, SessionToken session,
                          const StopToken &stop, bool cancelAtStop, QObject *parent)
{
    auto make = [=, session = std::move(session)]() mutable {
        new TrackedFuture(future, what, std::move(session), stop, cancelAtStop, parent);
    };
    if (QThread::currentThread() == parent->thread())
        make();
    else
        postCall(parent, std::move(make));
}

QStringList TrackedFuture::endNeverStarted(const QObject *parent, const QThreadPool *pool)
{
    QStringList ended;
    const auto tracked = parent->findChildren<TrackedFuture *>(Qt::FindDirectChildrenOnly);
    for (TrackedFuture *future : tracked) {
        const QFuture<void> f = future->m_watcher.future();
        // Started: QtConcurrent::run() reports it as it queues the task, and
        // a continuation not yet queued is only pending.
        if (future->m_pool != pool || !f.isStarted() || f.isFinished() || !future->m_session)
            continue;
        ended.append(future->m_what);
        future->m_session.reset();
        future->deleteLater();
    }
    return ended;
}

} // namespace canstop
