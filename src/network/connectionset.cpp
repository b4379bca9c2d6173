// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "connectionset_p.h"

#include "queuedcall_p.h"

#include <QElapsedTimer>
#include <QThread>

#include <algorithm>

namespace canstop {

namespace {

// The application may have moved the socket, and its guard, to another thread.
template <typename Function> void inGuardsThread(ConnectionGuard *guard, Function &&function)
{
    if (guard->thread() == QThread::currentThread())
        function();
    else
        postCall(guard, std::forward<Function>(function));
}

} // namespace

ConnectionSet::ConnectionSet(QObject *server, std::shared_ptr<DrainSettings> settings,
                             QObject *context)
    : m_server(server), m_settings(std::move(settings))
{
    if (!context)
        context = server;
    m_drainStep.setInterval(0);
    QObject::connect(&m_drainStep, &QTimer::timeout, context, [this] { drainNextBatch(); });
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer); // 200 ms before the deadline, not 5 % after
    QObject::connect(&m_deadlineTimer, &QTimer::timeout, context, [this] {
        if (m_beforeClose)
            m_beforeClose();
        closeRemaining();
    });
}

void ConnectionSet::add(SocketAccess socket, SessionToken token)
{
    QIODevice *device = socket.device();
    auto *guard = new ConnectionGuard(socket, std::move(token), m_server, m_settings);
    m_sockets.insert(device);
    m_pending.insert(device);
    QObject::connect(device, &QObject::destroyed, &m_socketWatch, [this, device] {
        m_sockets.remove(device);
        m_pending.remove(device);
        m_kept.removeOne(device);
    });
    if (m_draining)
        drain(guard);
}

void ConnectionSet::taken(QIODevice *socket)
{
    m_pending.remove(socket);
    if (ConnectionGuard *guard = guardOf(socket))
        guard->markTaken();
}

ConnectionGuard *ConnectionSet::guardOf(QIODevice *socket) const
{
    return ConnectionGuard::of(socket, m_server);
}

QList<QIODevice *> ConnectionSet::inOrder() const
{
    // The order of their descriptors: the one in which Qt's event
    // dispatchers let go of sockets fastest.
    QList<std::pair<int, QIODevice *>> sorted;
    sorted.reserve(m_sockets.size());
    for (QIODevice *socket : m_sockets) {
        if (ConnectionGuard *guard = guardOf(socket))
            sorted.append({guard->descriptor(), socket});
    }
    std::sort(sorted.begin(), sorted.end());
    QList<QIODevice *> result;
    result.reserve(sorted.size());
    for (const auto &[descriptor, socket] : sorted)
        result.append(socket);
    return result;
}

qsizetype ConnectionSet::startDraining(QDeadlineTimer deadline)
{
    m_draining = true;
    // Every linger ends a little before the deadline, so the sessions are
    // counted by then; what is still busy is closed a little before that.
    if (!deadline.isForever()) {
        const qint64 left = deadline.remainingTime();
        m_lingerEnd = QDeadlineTimer(std::max<qint64>(0, left - 50));
        m_deadlineTimer.start(static_cast<int>(std::max<qint64>(0, left - 200)));
    }
    m_toDrain = inOrder();
    const qsizetype count = m_toDrain.size();
    drainNextBatch();
    return count;
}

void ConnectionSet::drainNextBatch()
{
    // At most a few milliseconds per turn: timers and the deadline are
    // served in between, however many connections there are.
    QElapsedTimer turn;
    turn.start();
    qsizetype count = 0;
    while (count < m_toDrain.size() && turn.elapsed() < 20) {
        QIODevice *socket = m_toDrain.at(count++);
        if (!m_sockets.contains(socket))
            continue; // gone meanwhile
        if (ConnectionGuard *guard = guardOf(socket))
            drain(guard);
    }
    m_toDrain.remove(0, count);
    if (m_toDrain.isEmpty())
        m_drainStep.stop();
    else if (!m_drainStep.isActive())
        m_drainStep.start();
}

void ConnectionSet::drain(ConnectionGuard *guard)
{
    inGuardsThread(guard, [guard, end = m_lingerEnd] { guard->drain(end); });
}

void ConnectionSet::closeRemaining()
{
    m_toDrain.clear();
    m_drainStep.stop();
    for (QIODevice *socket : inOrder()) {
        if (ConnectionGuard *guard = guardOf(socket))
            inGuardsThread(guard, [guard] { guard->closeNow(); });
    }
}

} // namespace canstop
