// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "acceptor_p.h"

#include "logging_p.h"

#include <QEvent>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>

namespace canstop {

Acceptor::Acceptor(QObject *server, Hooks hooks) : m_server(server), m_hooks(std::move(hooks))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] { setAccepting(true); });
}

namespace {

// Qt's listening socket may block (QLocalServer's): accept() must not wait.
void makeNonBlocking(int listener)
{
    ::fcntl(listener, F_SETFL, ::fcntl(listener, F_GETFL) | O_NONBLOCK);
}

} // namespace

void Acceptor::takeOver()
{
    const int listener = m_hooks.listener();
    makeNonBlocking(listener);
    const auto notifiers = m_server->findChildren<QSocketNotifier *>();
    for (QSocketNotifier *notifier : notifiers) {
        if (notifier->type() == QSocketNotifier::Read && notifier->socket() == listener) {
            notifier->installEventFilter(this);
            m_notifier = notifier;
        }
    }
}

bool Acceptor::isInCharge() const
{
    return m_notifier && m_notifier->isValid() && m_notifier->socket() == m_hooks.listener();
}

void Acceptor::childAdded(std::function<void()> first)
{
    // Every accepted socket is a child too: cheap while in charge.
    if (m_takeOverPosted || isInCharge())
        return;
    m_takeOverPosted = true;
    QMetaObject::invokeMethod(
        this,
        [this, first = std::move(first)] {
            m_takeOverPosted = false;
            if (m_hooks.listener() < 0 || isInCharge())
                return;
            first();
            takeOver();
        },
        Qt::QueuedConnection);
}

bool Acceptor::eventFilter(QObject *, QEvent *event)
{
    if (event->type() != QEvent::SockAct)
        return false;
    afterAccepting(acceptQueued());
    return true;
}

Acceptor::Result Acceptor::drain()
{
    m_draining = true;
    makeNonBlocking(m_hooks.listener()); // listening may have begun around takeOver()
    const Result result = acceptQueued();
    if (result != Result::Gone && result != Result::Stopped)
        afterAccepting(result);
    return result;
}

Acceptor::Result Acceptor::acceptQueued()
{
    const int listener = m_hooks.listener();
    if (listener < 0)
        return Result::Stopped;
    const QPointer<Acceptor> alive(this); // goes with the server
    for (;;) {
        if (!m_draining && m_hooks.atLimit())
            return Result::Limit;
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd >= 0)
            ::fcntl(fd, F_SETFD, FD_CLOEXEC); // the socket classes make it non-blocking
#endif
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                return Result::OutOfDescriptors;
            return Result::All; // EAGAIN: the queue is empty
        }
        // Its slots may close the server, make it listen elsewhere (perhaps on
        // the same descriptor number), or delete it, as Qt's own loop allows.
        m_hooks.take(fd);
        if (!alive)
            return Result::Gone;
        if (m_hooks.listener() != listener)
            return Result::Stopped;
    }
}

void Acceptor::afterAccepting(Result result)
{
    switch (result) {
    case Result::All:
        if (m_retryDelay.count() > 0) {
            qCInfo(lcNetwork, "accepting again: file descriptors are free");
            m_retryDelay = std::chrono::milliseconds(0);
        }
        if (m_draining)
            m_hooks.drained();
        return;
    case Result::Limit:
        setAccepting(false); // taken() resumes it
        return;
    case Result::OutOfDescriptors:
        break;
    case Result::Stopped:
    case Result::Gone:
        return;
    }
    const int error = errno;
    setAccepting(false);
    if (!m_draining && m_hooks.shedSilent && !m_shedPosted) {
        // Not here: closing runs the application's slots, and this may be
        // inside the listener's notifier.
        m_shedPosted = true;
        QMetaObject::invokeMethod(this, &Acceptor::shedSilent, Qt::QueuedConnection);
    }
    // While the queue waits, the drain is not over (only possible before the gate closes).
    if (m_draining && !m_queued)
        m_queued = m_hooks.holdSession(QStringLiteral("connections queued in the kernel"));
    if (m_retry.isActive())
        return;
    if (m_retryDelay.count() == 0) {
        const int waiting = m_hooks.queueLength();
        qCWarning(lcNetwork,
                  "cannot accept: %s; %ls wait in the kernel's queue, taken as "
                  "descriptors free up%ls",
                  std::strerror(error),
                  qUtf16Printable(waiting < 0 ? QStringLiteral("connections")
                                              : QStringLiteral("%1 connection(s)").arg(waiting)),
                  qUtf16Printable(m_draining || !m_hooks.shedSilent
                                      ? QString()
                                      : QStringLiteral(" (connections silent for %1 ms or more are "
                                                       "closed to make room)")
                                            .arg(ShedSilentAfter.count())));
    }
    // Retried as descriptors free up; the queue waits, nothing spins.
    m_retryDelay =
        std::clamp(m_retryDelay * 2, FirstRetry, m_draining ? LastRetryInDrain : LastRetry);
    m_retry.start(m_retryDelay);
}

void Acceptor::taken()
{
    if (!m_retry.isActive())
        setAccepting(true);
}

void Acceptor::listenerClosed()
{
    m_retry.stop();
    m_notifier = nullptr;
    m_queued.reset(); // all of it was accepted
}

void Acceptor::abandonQueue()
{
    const int left = m_hooks.queueLength();
    const QString count =
        left < 0 ? QStringLiteral("connections") : QStringLiteral("%1 connection(s)").arg(left);
    qCWarning(lcNetwork,
              "%ls queued in the kernel were never accepted (out of file descriptors): closing "
              "the listener resets them",
              qUtf16Printable(count));
    m_queued.abandon(QStringLiteral("%1 never accepted: out of file descriptors")
                         .arg(left < 0 ? QStringLiteral("connections") : QString::number(left)));
}

SessionToken Acceptor::holdQueued(const QString &what) const
{
    return m_queued ? m_queued.hold(what) : SessionToken();
}

void Acceptor::shedSilent()
{
    m_shedPosted = false;
    if (m_draining || !isInCharge())
        return;
    const QPointer<Acceptor> alive(this); // the application's slots may delete the server
    const int shed = m_hooks.shedSilent(ShedBatch, ShedSilentAfter);
    if (alive && shed > 0) { // room now: take the queue without waiting for the retry
        m_retry.stop();
        setAccepting(true);
    }
}

void Acceptor::setAccepting(bool on)
{
    if (m_notifier)
        m_notifier->setEnabled(on);
}

} // namespace canstop
