// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "sessiongate_p.h"

#include "logging_p.h"
#include "queuedcall_p.h"

#include <QMetaMethod>
#include <QThread>

namespace canstop {

void SessionWatcher::watch(QObject *session)
{
    static const int destroyed = QObject::staticMetaObject.indexOfSignal("destroyed(QObject*)");
    static const int gone = staticMetaObject.indexOfSlot("gone(QObject*)");
    // Direct: it runs in the destroying thread, before the memory goes, and
    // blocks on the gate's mutex while describe() or requestStop() look at
    // the session.
    QMetaObject::connect(session, destroyed, this, gone, Qt::DirectConnection);
}

void SessionWatcher::gone(QObject *session)
{
    m_gate->untrack(session); // may end the gate, and this watcher with it
}

SessionGate::TrackResult SessionGate::track(QObject *session)
{
    {
        std::unique_lock lock(m_mutex);
        if (m_objects.contains(session))
            return TrackResult::AlreadyTracked;
        if (m_closed) {
            lock.unlock(); // a message handler may call back
            refuse(QStringLiteral("trackSession(): %1")
                       .arg(QLatin1String(session->metaObject()->className())));
            return TrackResult::Closed;
        }
        if (!m_self)
            m_self = shared_from_this();
        m_objects.insert(session);
        if (QString name = session->objectName(); !name.isEmpty())
            m_names.emplace(session, std::move(name));
        m_count.fetch_add(1, std::memory_order_acq_rel);
        m_entered.fetch_add(1, std::memory_order_relaxed);
    }
    m_watcher.watch(session);
    changed();
    return TrackResult::Tracked;
}

void SessionGate::untrack(QObject *session)
{
    std::shared_ptr<SessionGate> last;
    {
        std::lock_guard lock(m_mutex);
        if (!m_objects.remove(session))
            return;
        if (!m_names.isEmpty())
            m_names.remove(session);
        if (m_detached && m_objects.isEmpty())
            last = std::move(m_self);
        m_count.fetch_sub(1, std::memory_order_acq_rel);
    }
    changed();
} // `last` may be the gate's last reference

quint64 SessionGate::hold(const QString &what, quint64 parent)
{
    quint64 id;
    {
        std::unique_lock lock(m_mutex);
        if (parent == 0 && m_closed) {
            lock.unlock(); // a message handler may call back
            refuse(QStringLiteral("holdSession(\"%1\")").arg(what));
            return 0;
        }
        if (parent != 0 && !m_held.contains(parent))
            return 0;
        if (m_closed)
            ++m_heldAfterClose;
        id = m_nextId++;
        m_held.insert(id, what);
        m_count.fetch_add(1, std::memory_order_acq_rel);
        m_entered.fetch_add(1, std::memory_order_relaxed);
    }
    changed();
    return id;
}

void SessionGate::release(quint64 id)
{
    end(id, nullptr);
}

void SessionGate::abandon(quint64 id, const QString &why)
{
    end(id, &why);
}

void SessionGate::end(quint64 id, const QString *abandonedWhy)
{
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_held.constFind(id);
        if (it == m_held.cend())
            return;
        if (abandonedWhy && m_closed)
            m_abandoned.append(*it + QStringLiteral(" (") + *abandonedWhy + QLatin1Char(')'));
        m_held.erase(it);
        m_count.fetch_sub(1, std::memory_order_acq_rel);
    }
    changed();
}

void SessionGate::detach()
{
    std::shared_ptr<SessionGate> last;
    {
        std::lock_guard lock(m_mutex);
        m_detached = true;
        if (m_objects.isEmpty())
            last = std::move(m_self);
    }
}

int SessionGate::heldAfterClose() const
{
    std::lock_guard lock(m_mutex);
    return m_heldAfterClose;
}

QStringList SessionGate::abandoned() const
{
    std::lock_guard lock(m_mutex);
    return m_abandoned;
}

int SessionGate::close()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    return m_count.load(std::memory_order_acquire);
}

void SessionGate::acknowledgeChange()
{
    m_changePending.store(false, std::memory_order_release);
}

void SessionGate::setOnChange(std::function<void()> onChange, std::function<bool()> here)
{
    m_hereThread.store({}, std::memory_order_release);
    m_here = std::move(here);
    if (m_here)
        m_hereThread.store(std::this_thread::get_id(), std::memory_order_release);
    std::lock_guard lock(m_notifyMutex);
    m_onChange = std::move(onChange);
}

void SessionGate::changed()
{
    if (m_hereThread.load(std::memory_order_acquire) == std::this_thread::get_id() && m_here())
        return;
    if (m_changePending.exchange(true, std::memory_order_acq_rel))
        return;
    std::lock_guard lock(m_notifyMutex);
    if (m_onChange)
        m_onChange();
}

int SessionGate::requestStop()
{
    std::lock_guard lock(m_mutex);
    int asked = 0;
    for (QObject *session : std::as_const(m_objects)) {
        const int method = session->metaObject()->indexOfMethod("stop()");
        if (method < 0)
            continue;
        // Posted to the session itself: the event dies with it, and when it
        // is delivered the session is alive, in its own thread.
        postCall(session, [session, method] {
            session->metaObject()->method(method).invoke(session, Qt::DirectConnection);
        });
        ++asked;
    }
    return asked;
}

QStringList SessionGate::describe(int limit) const
{
    QStringList names;
    std::lock_guard lock(m_mutex);
    for (auto it = m_objects.cbegin(); it != m_objects.cend() && names.size() < limit; ++it) {
        const QObject *session = *it;
        // The live name is safe to read only in the session's own thread.
        const QString objectName = session->thread() == QThread::currentThread()
                                       ? session->objectName()
                                       : m_names.value(session);
        const QString className = QString::fromLatin1(session->metaObject()->className());
        names.append(objectName.isEmpty()
                         ? className
                         : className + QLatin1Char('(') + objectName + QLatin1Char(')'));
    }
    for (auto it = m_held.cbegin(); it != m_held.cend() && names.size() < limit; ++it)
        names.append(*it);
    return names;
}

void SessionGate::refuse(const QString &session)
{
    if (m_refusals.fetch_add(1) == 0)
        qCWarning(lcSessions,
                  "%ls refused: the shutdown has begun (further refusals are counted, not logged)",
                  qUtf16Printable(session));
}

void SessionGate::sayRefusals() const
{
    if (const int refused = m_refusals.load(); refused > 1)
        qCWarning(lcSessions, "%d session(s) in all were refused after the shutdown began",
                  refused);
}

} // namespace canstop
