// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/sessiontoken.h>

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// Accepts a listening socket's connections in Qt's place, for either kind
// of server: out of file descriptors, Qt's own loop spins (QTcpServer) or
// closes the server for good and deletes its socket file (QLocalServer).
// It filters the events of the listener's read notifier and accepts until
// the kernel's queue is empty, the application holds as many untaken
// connections as the server allows, or the process is out of descriptors;
// then it pauses, warns once, and retries as descriptors free up. In a
// drain it takes the whole queue, and while descriptors are short a session
// holds the drain open for what waits in it. Each connection goes to
// `take`, whose slots may close or delete the server: the loop checks.
class Acceptor : public QObject
{
public:
    enum class Result { All, Limit, OutOfDescriptors, Stopped, Gone };

    struct Hooks
    {
        std::function<int()> listener; // the listening descriptor, -1 when none
        std::function<bool()> atLimit; // as many untaken connections as allowed
        std::function<void(int fd)> take;
        std::function<int()> queueLength; // what waits in the kernel's queue; -1 if unknown
        std::function<SessionToken(const QString &what)> holdSession;
        std::function<void()> drained; // a drain has taken the whole queue
        // Out of descriptors: closes up to `most` connections silent for at
        // least `minimum`, oldest first (ConnectionSet::shedSilent()); how
        // many it closed in this thread (worker threads close theirs later).
        std::function<int(int most, std::chrono::milliseconds minimum)> shedSilent;
    };

    // Retries after running out of descriptors: from the first delay,
    // doubling up to the last; in a drain the deadline is near, so sooner.
    static constexpr std::chrono::milliseconds FirstRetry{10};
    static constexpr std::chrono::milliseconds LastRetry{1000};
    static constexpr std::chrono::milliseconds LastRetryInDrain{100};
    // Out of descriptors outside a drain, connections that have carried no
    // byte for this long are closed to make room for new clients (a flood of
    // silent connections would hold them all): younger ones may have a
    // request in flight.
    static constexpr std::chrono::milliseconds ShedSilentAfter{2000};
    // At most this many per attempt, so that one turn of the event loop stays short.
    static constexpr int ShedBatch = 256;

    Acceptor(QObject *server, Hooks hooks);

    // Accepts in Qt's place from now on, for the listener now open: its
    // notifier is found among the server's children.
    void takeOver();
    // Whether it accepts for the listener now open (not Qt).
    bool isInCharge() const;
    // Listening may have begun through the base class's own listen() (not
    // virtual), which makes a child of the server: takeOver() in the next
    // turn of the event loop, and `first` before it, unless in charge.
    void childAdded(std::function<void()> first);
    // A drain begins: the whole queue is taken, whatever the limit.
    Result drain();
    // The application took a connection: accepting resumes if the limit stopped it.
    void taken();
    // The listener is closing: nothing is retried, nothing waits any more.
    void listenerClosed();
    // At the deadline, with the listener still open because descriptors
    // are short: names what the close will reset, and abandons its session.
    void abandonQueue();
    // The session a connection accepted now belongs to, when a drain holds
    // the queue open: a part of it; otherwise none.
    SessionToken holdQueued(const QString &what) const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    Result acceptQueued();
    void afterAccepting(Result result);
    void setAccepting(bool on);
    void shedSilent();

    QObject *const m_server;
    const Hooks m_hooks;
    QPointer<QSocketNotifier> m_notifier;
    QTimer m_retry;
    std::chrono::milliseconds m_retryDelay{0}; // 0 while descriptors are there
    bool m_draining = false;
    bool m_takeOverPosted = false;
    bool m_shedPosted = false;
    SessionToken m_queued; // a drain out of descriptors: what the kernel holds
};

} // namespace canstop
