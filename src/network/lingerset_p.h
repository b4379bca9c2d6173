// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/sessiontoken.h>

#include <QDeadlineTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// The last part of graceful closes, for every descriptor a thread has taken
// over from a QTcpSocket that has already let go of it: the write side is
// shut (the peer gets everything queued, then EOF), input is read and
// discarded until the peer closes or the linger ends, and only then is the
// descriptor closed, with nothing unread, so the kernel never answers with
// a reset. Each session ends there: drained, or abandoned when the close cut
// something off (`cut`, or output the peer has not acknowledged).
//
// One set per thread, with one notifier and one timer for all of its
// descriptors (on Linux, one epoll descriptor): a notifier per descriptor
// would make a drain of n connections cost O(n^2) in the event dispatcher.
class LingerSet : public QObject
{
    Q_OBJECT

public:
    // The calling thread's set, made on first use (make it while descriptors
    // are free: it needs one); it closes what it still holds when the thread
    // finishes (the main thread: with the application).
    static LingerSet *local();
    ~LingerSet() override;

    // Takes ownership of `fd` and of the session `token`. With
    // `ifPeerSilent`, a linger that ends before the peer has closed
    // abandons the session for that reason. The last `trailing` bytes sent
    // (a TLS close_notify) and the FIN need no acknowledgement: a peer that
    // closed without reading them has had everything before them.
    void add(int fd, SessionToken token, QDeadlineTimer end, const QString &cut,
             const QString &ifPeerSilent = {}, int trailing = 0);
    qsizetype size() const { return qsizetype(m_entries.size()); }

private:
    struct Entry
    {
        int fd = -1;
        SessionToken token;
        QString cut;
        QString ifPeerSilent;
        int trailing = 0;
#if !defined(Q_OS_LINUX)
        std::unique_ptr<QSocketNotifier> notifier;
#endif
    };
    using End = std::pair<qint64, quint64>; // deadline (ms), entry

    LingerSet();
    // Makes the epoll descriptor if there is none yet: false if it cannot.
    bool watching();
#if defined(Q_OS_LINUX)
    bool watch(int operation, int fd, quint64 id);
#endif
    void discardInput(quint64 id);
    void finishExpired();
    void finish(quint64 id, bool peerClosed);
    void startTimer();

    std::unordered_map<quint64, Entry> m_entries;
    // Ends in order; an entry that finished early is skipped when reached.
    std::priority_queue<End, std::vector<End>, std::greater<End>> m_ends;
    quint64 m_lastId = 0;
    int m_epoll = -1;
    bool m_warned = false;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_timer;
};

} // namespace canstop
