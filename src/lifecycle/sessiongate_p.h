// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace canstop {

class SessionGate;

// Hears of tracked objects' destruction for one gate. A connection by
// method index costs no slot object per session, as a functor would.
class SessionWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SessionWatcher(SessionGate *gate) : m_gate(gate) {}
    void watch(QObject *session);

private Q_SLOTS:
    void gone(QObject *session);

private:
    SessionGate *const m_gate;
};

// Counts the sessions of one manager, from any thread. Closing the gate is
// atomic with respect to entering it: once close() has returned, nothing
// enters, so a drain that waits for count() == 0 waits for everything.
// Held through a shared_ptr by every token, and by itself until detach()
// and then while it tracks objects, so it outlives whatever it counts.
class SessionGate : public std::enable_shared_from_this<SessionGate>
{
public:
    enum class TrackResult { Tracked, AlreadyTracked, Closed };

    // Closed (said by refuse()) once the gate is closed.
    TrackResult track(QObject *session);
    // Zero when refused: without a parent once the gate is closed (said by
    // refuse()); with one unless that one is still held (the gate may be
    // closed).
    quint64 hold(const QString &what, quint64 parent = 0);
    void release(quint64 id);
    // Ends a held session as abandoned: once the gate has closed, it is
    // remembered as "what (why)" for the report; before, it is a release.
    void abandon(quint64 id, const QString &why);
    // What abandon() remembered, oldest first.
    QStringList abandoned() const;
    // Sessions held under another after the gate closed.
    int heldAfterClose() const;

    // Its owner is done with it: it stays only while objects are tracked.
    void detach();

    // Returns the number of sessions still open at the moment of closing.
    int close();
    int count() const { return m_count.load(std::memory_order_acquire); }
    // Sessions that ever entered, and those refused: counters for metrics.
    quint64 entered() const { return m_entered.load(std::memory_order_relaxed); }
    int refused() const { return m_refusals.load(std::memory_order_relaxed); }

    // `onChange` is called, from whatever thread changed the count, once per
    // burst: it is not called again until acknowledgeChange(). A change in
    // the thread that calls this goes to `here`, every time, and to
    // `onChange` as well when `here` returns false. Set and clear both from
    // that one thread.
    void setOnChange(std::function<void()> onChange, std::function<bool()> here = {});
    void acknowledgeChange();

    // Queues stop() to every tracked session that has such a slot, in the
    // session's own thread. Returns how many were asked.
    int requestStop();

    // "Class(objectName)" or the held description; at most `limit` entries.
    QStringList describe(int limit) const;

    // After the shutdown: how many sessions were refused, if more than one
    // (the first was logged when refused; callers are told by the return
    // value, so the others are not).
    void sayRefusals() const;

private:
    friend class SessionWatcher;
    void untrack(QObject *session);
    // Ends a held session; abandoned (and remembered, once closed) with a why.
    void end(quint64 id, const QString *abandonedWhy);
    void changed();
    void refuse(const QString &session);

    // A tracked object is safe to touch under m_mutex: its destroyed()
    // handler takes m_mutex before the memory goes.
    mutable std::mutex m_mutex;
    QSet<QObject *> m_objects;
    QHash<const QObject *, QString> m_names; // the named ones, as when tracked
    // Set from the first track() on: a tracked object's destroyed() reaches
    // m_watcher. Dropped once detached and nothing is tracked.
    std::shared_ptr<SessionGate> m_self;
    bool m_detached = false;
    QHash<quint64, QString> m_held;
    QStringList m_abandoned;
    int m_heldAfterClose = 0;
    quint64 m_nextId = 1;
    bool m_closed = false;
    std::atomic<int> m_count{0};
    std::atomic<int> m_refusals{0};
    std::atomic<quint64> m_entered{0};

    std::mutex m_notifyMutex; // guards m_onChange against the manager going away
    std::function<void()> m_onChange;
    std::atomic<bool> m_changePending{false};
    std::atomic<std::thread::id> m_hereThread; // cheaper to ask than QThread's
    std::function<bool()> m_here;              // only touched in m_hereThread

    // Last: destroyed first, while the rest is still whole.
    SessionWatcher m_watcher{this};
};

} // namespace canstop
