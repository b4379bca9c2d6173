// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "connectionguard_p.h"

#include <QDeadlineTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

namespace canstop {

// The connections of one graceful server, TCP or local, from accept to
// drain: each with its guard, pending until the application takes it; at
// the drain told in descriptor order, a batch per turn of the event loop
// (every idle connection's FIN first, then their closes);
// at the deadline closed. The part of a drain that does not depend on the
// kind of socket.
class ConnectionSet
{
public:
    // When a drain ends its connections, counted back from the deadline
    // (docs/architecture.md, "When is a connection cut?"):
    // every linger ends this long before it, so its session is counted by then;
    static constexpr std::chrono::milliseconds LingerMargin{50};
    // what is still busy is closed this long before it, so its linger can end in time.
    static constexpr std::chrono::milliseconds CloseBusyMargin{200};
    // A drain tells its connections at most this long per turn of the event
    // loop: timers and the deadline are served in between, however many there are.
    static constexpr std::chrono::milliseconds DrainSlice{20};

    // `server` is the guards' owner; `context`, the timers' (by default
    // `server`), lives in the thread of the connections; `stats`, the
    // server's numbers, if it has them.
    explicit ConnectionSet(QObject *server, QObject *context = nullptr,
                           std::shared_ptr<ServerStats> stats = {});

    // An accepted socket: guarded from now on with `options`, pending until taken().
    void add(SocketAccess socket, SessionToken token, const DrainOptions &options);
    void taken(QIODevice *socket);
    qsizetype pendingCount() const;

    // Keeps a pending connection in this set's own queue, where the
    // server's cannot: QTcpServer::close() deletes the connections nobody
    // has taken, and QLocalServer (Qt 6.4) has no addPendingConnection().
    void keep(QIODevice *socket) { m_kept.append(socket); }
    bool hasKept() const;
    QIODevice *takeKept();

    // Every connection closes once idle; lingers end before `deadline`,
    // and what is busy is closed a little before that (closeRemaining()).
    // Returns how many connections there are.
    qsizetype startDraining(QDeadlineTimer deadline);
    // Closes what is still busy (the deadline), counting what that cuts off.
    void closeRemaining();
    // Out of descriptors: closes up to `most` connections of this thread
    // that have been silent (ConnectionGuard::silentForMs()) for at least
    // `minimum`, oldest first. Returns how many it closed.
    int shedSilent(int most, std::chrono::milliseconds minimum);
    // Called by the deadline timer before closeRemaining(): the server's own
    // part (its listener).
    void setBeforeClosingRemaining(std::function<void()> before)
    {
        m_beforeClose = std::move(before);
    }

    ConnectionGuard *guardOf(QIODevice *socket) const;

private:
    QList<ConnectionGuard *> inOrder() const;
    void drainNextBatch();
    void drain(ConnectionGuard *guard);
    void finish(ConnectionGuard *guard);
    // Calls `function(guard)` in the guard's thread, if the guard still exists.
    template <typename Function> void withGuard(ConnectionGuard *guard, Function function);

    QObject *const m_server;
    const std::shared_ptr<ConnectionRoll> m_roll = std::make_shared<ConnectionRoll>();
    QList<QPointer<QIODevice>> m_kept;    // pending in this set's own queue, oldest first
    QList<ConnectionGuard *> m_toDrain;   // not yet told of the drain
    QList<ConnectionGuard *> m_finishing; // told, their FIN sent: handed to the linger next
    QTimer m_drainStep;                   // tells them a batch per turn of the event loop
    QTimer m_deadlineTimer;               // closes what is still busy in time for the deadline
    QDeadlineTimer m_lingerEnd = QDeadlineTimer::Forever;
    bool m_draining = false;
    std::function<void()> m_beforeClose;
};

} // namespace canstop
