// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/sessiontoken.h>
#include <canstop/stoptoken.h>

#include <QFutureWatcher>
#include <QObject>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace canstop {

// A future as a session: holds `session` until the future finishes (a
// cancelled one too, once its work has returned), then deletes itself.
// With `cancelAtStop`, the future is cancelled when `stop` is requested;
// otherwise it is awaited. What never finishes is abandoned by the
// session's name at the deadline, as any session. Lives in the thread it
// is made in, which has an event loop.
class TrackedFuture : public QObject
{
    Q_OBJECT

public:
    TrackedFuture(const QFuture<void> &future, const QString &what, SessionToken session,
                  const StopToken &stop, bool cancelAtStop, QObject *parent = nullptr);
    // Made as a child of `parent`, in its thread, from any thread.
    static void track(const QFuture<void> &future, const QString &what, SessionToken session,
                      const StopToken &stop, bool cancelAtStop, QObject *parent);
    // Ends the futures tracked under `parent` whose tasks `pool` removed
    // before they started, and returns what they were. Call once the pool
    // was cleared and has no task running: Qt leaves such futures running
    // forever, which would hold the shutdown to its deadline.
    static QStringList endNeverStarted(const QObject *parent, const QThreadPool *pool);

private:
    QFutureWatcher<void> m_watcher;
    QString m_what;
    const QThreadPool *m_pool; // where QtConcurrent queued its task, if it did
    SessionToken m_session;
};

} // namespace canstop
