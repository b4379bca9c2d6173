// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <mutex>

#include <atomic>
#include <functional>
#include <memory>

namespace canstop {

// Counts the sessions of one manager, from any thread. Closing the gate is
// atomic with respect to entering it: once close() has returned, nothing
// enters, so a drain that waits for count() == 0 waits for everything.
// Held through a shared_ptr by every tracked object's destroyed() handler
// and every token, so it outlives whatever it counts.
class SessionGate : public std::enable_shared_from_this<SessionGate>
{
public:
    enum class TrackResult { Tracked, AlreadyTracked, Closed };

    TrackResult track(QObject *session);
    // Zero when refused: without a parent once the gate is closed; with
    // one unless that one is still held (the gate may be closed).
    quint64 hold(const QString &what, quint64 parent = 0);
    void release(quint64 id);
    // Ends a held session as abandoned: once the gate has closed, it is
    // remembered as "what (why)" for the report; before, it is a release.
    void abandon(quint64 id, const QString &why);
    // What abandon() remembered, oldest first.
    QStringList abandoned() const;
    // Sessions held under another after the gate closed.
    int heldAfterClose() const;

    // Returns the number of sessions still open at the moment of closing.
    int close();
    int count() const { return m_count.load(std::memory_order_acquire); }

    // `onChange` is called, from whatever thread changed the count, once per
    // burst: it is not called again until acknowledgeChange().
    void setOnChange(std::function<void()> onChange);
    void acknowledgeChange();

    // Queues stop() to every tracked session that has such a slot, in the
    // session's own thread. Returns how many were asked.
    int requestStop();

    // "Class(objectName)" or the held description; at most `limit` entries.
    QStringList describe(int limit) const;

private:
    // The object itself is safe to touch under m_mutex: its destroyed()
    // handler takes m_mutex before the memory goes.
    struct Tracked
    {
        QObject *object;
        const char *className;
        QString objectName;
        int stopMethod;
    };

    void untrack(QObject *session);
    // Ends a held session; abandoned (and remembered, once closed) with a why.
    void end(quint64 id, const QString *abandonedWhy);
    void changed();

    mutable std::mutex m_mutex;
    QHash<const QObject *, Tracked> m_objects;
    QHash<quint64, QString> m_held;
    QStringList m_abandoned;
    int m_heldAfterClose = 0;
    quint64 m_nextId = 1;
    bool m_closed = false;
    std::atomic<int> m_count{0};

    std::mutex m_notifyMutex; // guards m_onChange against the manager going away
    std::function<void()> m_onChange;
    std::atomic<bool> m_changePending{false};
};

} // namespace canstop
