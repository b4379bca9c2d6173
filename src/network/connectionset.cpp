// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "connectionset_p.h"

#include "queuedcall_p.h"
#include "servermetrics_p.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QThread>

#include <algorithm>

namespace canstop {

ConnectionSet::ConnectionSet(QObject *server, QObject *context, std::shared_ptr<ServerStats> stats)
    : m_server(server)
{
    m_roll->stats = std::move(stats);
    if (!context)
        context = server;
    m_drainStep.setInterval(0);
    QObject::connect(&m_drainStep, &QTimer::timeout, context, [this] { drainNextBatch(); });
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer); // CloseBusyMargin before it, not 5 % after
    QObject::connect(&m_deadlineTimer, &QTimer::timeout, context, [this] {
        if (m_beforeClose)
            m_beforeClose();
        closeRemaining();
    });
}

void ConnectionSet::add(SocketAccess socket, SessionToken token, const DrainOptions &options)
{
    auto *guard = new ConnectionGuard(socket, std::move(token), m_server, options, m_roll);
    if (m_draining)
        withGuard(guard, [end = m_lingerEnd](ConnectionGuard *alive) { alive->drain(end); });
}

void ConnectionSet::taken(QIODevice *socket)
{
    if (ConnectionGuard *guard = guardOf(socket))
        guard->markTaken();
}

qsizetype ConnectionSet::pendingCount() const
{
    const std::lock_guard lock(m_roll->mutex);
    return m_roll->pending;
}

bool ConnectionSet::hasKept() const
{
    return std::any_of(m_kept.cbegin(), m_kept.cend(),
                       [](const QPointer<QIODevice> &socket) { return !socket.isNull(); });
}

QIODevice *ConnectionSet::takeKept()
{
    while (!m_kept.isEmpty()) {
        if (QIODevice *socket = m_kept.takeFirst())
            return socket;
    }
    return nullptr; // none, or deleted while pending
}

template <typename Function>
void ConnectionSet::withGuard(ConnectionGuard *guard, Function function)
{
    std::unique_lock lock(m_roll->mutex);
    if (!m_roll->guards.contains(guard))
        return; // gone meanwhile
    if (guard->thread() != QThread::currentThread()) {
        // The application moved it; posted while the roll's lock keeps it alive.
        postCall(guard, [guard, function] { function(guard); });
        return;
    }
    lock.unlock(); // what `function` does may end other guards, in this thread
    function(guard);
}

ConnectionGuard *ConnectionSet::guardOf(QIODevice *socket) const
{
    return ConnectionGuard::of(socket, m_server);
}

int ConnectionSet::shedSilent(int most, std::chrono::milliseconds minimum)
{
    QList<std::pair<qint64, QPointer<ConnectionGuard>>> silent; // oldest first, once sorted
    {
        const std::lock_guard lock(m_roll->mutex);
        for (ConnectionGuard *guard : std::as_const(m_roll->guards)) {
            if (guard->thread() != QThread::currentThread()) // moved by the application
                continue;
            if (const qint64 ms = guard->silentForMs(); ms >= minimum.count())
                silent.append({-ms, guard});
        }
    }
    std::sort(silent.begin(), silent.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    // Each close runs the application's slots, which may delete the server.
    const QPointer<QObject> server(m_server);
    int shed = 0;
    for (const auto &[age, guard] : std::as_const(silent)) {
        if (shed == most || !server)
            break;
        if (guard) {
            guard->shed();
            ++shed;
        }
    }
    return shed;
}

QList<ConnectionGuard *> ConnectionSet::inOrder() const
{
    // The order of their descriptors: the one in which Qt's event
    // dispatchers let go of sockets fastest.
    QList<std::pair<int, ConnectionGuard *>> sorted;
    {
        const std::lock_guard lock(m_roll->mutex);
        sorted.reserve(m_roll->guards.size());
        for (ConnectionGuard *guard : std::as_const(m_roll->guards))
            sorted.append({guard->descriptor(), guard});
    }
    std::sort(sorted.begin(), sorted.end());
    QList<ConnectionGuard *> result;
    result.reserve(sorted.size());
    for (const auto &[descriptor, guard] : sorted)
        result.append(guard);
    return result;
}

qsizetype ConnectionSet::startDraining(QDeadlineTimer deadline)
{
    m_draining = true;
    if (!deadline.isForever()) {
        const qint64 left = deadline.remainingTime();
        m_lingerEnd = QDeadlineTimer(std::max<qint64>(0, left - LingerMargin.count()));
        m_deadlineTimer.start(
            static_cast<int>(std::max<qint64>(0, left - CloseBusyMargin.count())));
    }
    m_toDrain = inOrder();
    const qsizetype count = m_toDrain.size();
    if (m_roll->stats)
        m_roll->stats->draining = true;
    drainNextBatch();
    return count;
}

void ConnectionSet::drainNextBatch()
{
    QElapsedTimer turn;
    turn.start();
    const auto inSlice = [&turn] { return turn.elapsed() < DrainSlice.count(); };
    // Every FIN first: the clients hear of the drain as early as they can,
    // and the closes (Qt's, the linger's) come after.
    qsizetype told = 0;
    while (told < m_toDrain.size() && inSlice())
        drain(m_toDrain.at(told++));
    m_toDrain.remove(0, told);
    qsizetype finished = 0;
    while (m_toDrain.isEmpty() && finished < m_finishing.size() && inSlice())
        finish(m_finishing.at(finished++));
    m_finishing.remove(0, finished);
    if (m_toDrain.isEmpty() && m_finishing.isEmpty())
        m_drainStep.stop();
    else if (!m_drainStep.isActive())
        m_drainStep.start();
}

void ConnectionSet::drain(ConnectionGuard *guard)
{
    {
        std::unique_lock lock(m_roll->mutex);
        // A guard in this thread cannot be moved or deleted from another.
        if (m_roll->guards.contains(guard) && guard->thread() == QThread::currentThread()) {
            lock.unlock();
            if (guard->drain(m_lingerEnd, ConnectionGuard::Fin::First))
                m_finishing.append(guard);
            return;
        }
    }
    withGuard(guard, [end = m_lingerEnd](ConnectionGuard *alive) { alive->drain(end); });
}

void ConnectionSet::finish(ConnectionGuard *guard)
{
    withGuard(guard, [](ConnectionGuard *alive) { alive->finishClose(); });
}

void ConnectionSet::closeRemaining()
{
    m_toDrain.clear();
    m_finishing.clear(); // closed below, with the rest
    m_drainStep.stop();
    for (ConnectionGuard *guard : inOrder())
        withGuard(guard, [](ConnectionGuard *alive) { alive->closeNow(); });
}

} // namespace canstop
