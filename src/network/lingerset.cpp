// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "lingerset_p.h"

#include "logging_p.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(Q_OS_LINUX)
#include <linux/sockios.h>
#include <sys/epoll.h>
#endif

namespace canstop {

namespace {

// Per descriptor and turn of the event loop: a peer that floods cannot
// hold the thread.
constexpr int DiscardPerTurn = 64 * 1024;
// Descriptors served per turn of the event loop, for the same reason.
constexpr int PerTurn = 1024;

thread_local LingerSet *t_set = nullptr;

void deleteThreadSet()
{
    delete t_set;
    t_set = nullptr;
}

// Reads and drops up to `limit` bytes; false once the peer has closed (or
// the connection is gone), true while it is open.
bool discard(int fd, int limit)
{
    char buffer[16384];
    for (int taken = 0; taken < limit;) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0) {
            taken += int(got);
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    return true;
}

// Bytes the kernel still holds for the peer, sent but not acknowledged or
// not sent at all.
int unacknowledged(int fd)
{
    int queued = 0;
#if defined(SIOCOUTQ)
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0)
        queued = 0;
#elif defined(SO_NWRITE)
    socklen_t size = sizeof queued;
    if (::getsockopt(fd, SOL_SOCKET, SO_NWRITE, &queued, &size) != 0)
        queued = 0;
#endif
    return queued;
}

} // namespace

LingerSet *LingerSet::local()
{
    if (t_set)
        return t_set;
    t_set = new LingerSet;
    QThread *thread = QThread::currentThread();
    const QCoreApplication *application = QCoreApplication::instance();
    if (!application || thread == application->thread())
        qAddPostRoutine(deleteThreadSet);
    else
        connect(thread, &QThread::finished, t_set, &deleteThreadSet, Qt::DirectConnection);
    return t_set;
}

LingerSet::LingerSet()
{
    m_timer.setSingleShot(true);
    // Ends are set just before the shutdown's deadline: a coarse timer
    // (5 % late at most) would miss it.
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &LingerSet::finishExpired);
    watching();
}

bool LingerSet::watching()
{
#if defined(Q_OS_LINUX)
    if (m_epoll >= 0)
        return true;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        if (!std::exchange(m_warned, true))
            qCWarning(lcNetwork,
                      "cannot watch lingering connections (epoll: %s): they close at once",
                      std::strerror(errno));
        return false;
    }
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        epoll_event events[PerTurn];
        const int ready = ::epoll_wait(m_epoll, events, PerTurn, 0);
        for (int i = 0; i < ready; ++i)
            discardInput(events[i].data.u64);
    });
#endif
    return true;
}

LingerSet::~LingerSet()
{
    for (auto &[id, entry] : m_entries) {
        discard(entry.fd, DiscardPerTurn);
        ::close(entry.fd);
    }
    if (m_epoll >= 0)
        ::close(m_epoll);
}

void LingerSet::add(int fd, SessionToken token, QDeadlineTimer end, const QString &cut,
                    const QString &ifPeerSilent, int trailing)
{
    const quint64 id = ++m_lastId;
    ::shutdown(fd, SHUT_WR);
    Entry &entry = m_entries[id];
    entry.fd = fd;
    entry.token = std::move(token);
    entry.cut = cut;
    entry.ifPeerSilent = ifPeerSilent;
    entry.trailing = trailing;
#if defined(Q_OS_LINUX)
    if (!watching() || !watch(EPOLL_CTL_ADD, fd, id))
        end = QDeadlineTimer(0);
#else
    entry.notifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
    connect(entry.notifier.get(), &QSocketNotifier::activated, this,
            [this, id] { discardInput(id); });
#endif
    const bool earliest = m_ends.empty() || End(end.deadline(), id) < m_ends.top();
    m_ends.emplace(end.deadline(), id);
    if (earliest)
        startTimer();
}

#if defined(Q_OS_LINUX)
bool LingerSet::watch(int operation, int fd, quint64 id)
{
    // One-shot: an entry's registration needs no removal before its close,
    // which ends it; one that outlives the close in a copy of the
    // descriptor (a fork) reports once more, for an id no longer held.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    event.data.u64 = id;
    return ::epoll_ctl(m_epoll, operation, fd, &event) == 0;
}
#endif

void LingerSet::discardInput(quint64 id)
{
    const auto found = m_entries.find(id);
    if (found == m_entries.end())
        return;
    if (!discard(found->second.fd, DiscardPerTurn))
        return finish(id, true);
#if defined(Q_OS_LINUX)
    if (!watch(EPOLL_CTL_MOD, found->second.fd, id)) // the peer is still open: watched again
        finish(id, false);
#endif
}

void LingerSet::finishExpired()
{
    const qint64 now = QDeadlineTimer::current().deadline();
    for (int served = 0; !m_ends.empty() && m_ends.top().first <= now; ++served) {
        if (served == PerTurn) {
            m_timer.start(0); // the rest in the next turn
            return;
        }
        const quint64 id = m_ends.top().second;
        m_ends.pop();
        finish(id, false);
    }
    startTimer();
}

void LingerSet::startTimer()
{
    // Skips what has finished already, so the timer waits for a real end.
    while (!m_ends.empty() && m_entries.count(m_ends.top().second) == 0)
        m_ends.pop();
    if (m_ends.empty()) {
        m_timer.stop();
        return;
    }
    const qint64 wait = m_ends.top().first - QDeadlineTimer::current().deadline();
    m_timer.start(int(std::clamp<qint64>(wait, 0, std::numeric_limits<int>::max())));
}

void LingerSet::finish(quint64 id, bool peerClosed)
{
    const auto found = m_entries.find(id);
    if (found == m_entries.end())
        return;
    Entry entry = std::move(found->second);
    m_entries.erase(found);
    // Unless the peer's EOF was just read, whatever arrived last is read
    // first (closing with unread input resets); the peer may have closed
    // just now, too.
    if (!peerClosed)
        peerClosed = !discard(entry.fd, DiscardPerTurn);
    if (entry.cut.isEmpty() && !peerClosed)
        entry.cut = entry.ifPeerSilent;
    if (entry.cut.isEmpty()) {
        // The FIN after the trailing bytes takes one place in the count.
        const int trailing = entry.trailing > 0 ? entry.trailing + 1 : 0;
        if (const int queued = unacknowledged(entry.fd); queued > trailing)
            entry.cut = QStringLiteral("%1 byte(s) its peer had not acknowledged").arg(queued);
    }
#if !defined(Q_OS_LINUX)
    entry.notifier.reset();
#endif
    ::close(entry.fd);
    if (entry.cut.isEmpty())
        entry.token.reset();
    else
        entry.token.abandon(entry.cut);
}

} // namespace canstop
