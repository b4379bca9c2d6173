// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "connectionguard_p.h"

#include "httpsocket_p.h"
#include "lingerset_p.h"
#include "logging_p.h"
#include "servermetrics_p.h"

#include <QEvent>
#include <QScopedValueRollback>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

namespace {

// One descriptor held in reserve: a graceful close needs a copy of the
// socket's descriptor for a moment (it gives the original back at once),
// and must work even when the process has run out of them.
std::mutex s_reserveMutex;
int s_reserveFd = -1;

void refillReserve()
{
    std::lock_guard lock(s_reserveMutex);
    if (s_reserveFd < 0)
        s_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int copyDescriptor(int fd)
{
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy >= 0 || (errno != EMFILE && errno != ENFILE))
        return copy;
    std::lock_guard lock(s_reserveMutex);
    if (s_reserveFd < 0)
        return -1;
    ::close(s_reserveFd);
    s_reserveFd = -1;
    return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

} // namespace

ConnectionGuard::ConnectionGuard(SocketAccess socket, SessionToken token, QObject *server,
                                 const DrainOptions &options, std::shared_ptr<ConnectionRoll> roll)
    : QObject(socket.device()), m_socket(socket), m_http(HttpExchange::of(socket.device())),
      m_server(server), m_options(options), m_roll(std::move(roll)), m_token(std::move(token))
{
    {
        const std::lock_guard lock(m_roll->mutex);
        m_roll->guards.insert(this);
        ++m_roll->pending;
    }
    if (ServerStats *stats = m_roll->stats.get()) {
        ++stats->accepted;
        ++stats->open;
    }
    watchSocket();
    m_lastActivity.start();
    m_socket.setReadBufferSize(m_options.maxPendingInput());
    const int sendBuffer = static_cast<int>(m_options.maxPendingOutput());
    ::setsockopt(m_socket.descriptor(), SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
    if (m_http) {
        m_http->watchReads(readNotifier());
        if (m_roll->stats)
            connect(m_http, &HttpExchange::busyMayHaveChanged, this, &ConnectionGuard::countBusy);
        countBusy(); // a request may have begun already
    }
    if (QSocketNotifier *notifier = readNotifier())
        notifier->installEventFilter(this); // before the HTTP socket's: it sees reads only
    refillReserve();
    LingerSet::local(); // now, while there are descriptors for it
}

ConnectionGuard::~ConnectionGuard()
{
    lingerNow(); // its close_notify never sent: a FIN without it
    markClosed();
    const std::lock_guard lock(m_roll->mutex);
    m_roll->guards.remove(this);
    if (!m_taken)
        --m_roll->pending;
}

void ConnectionGuard::watchSocket()
{
    if (!m_onRead) {
        m_onRead = connect(m_socket.device(), &QIODevice::readyRead, this, [this] {
            m_lastActivity.start();
            m_carried = true;
            // Checked after the application's own readyRead handlers have run.
            if (m_stage != Stage::Serving)
                scheduleCheck();
        });
    }
    if (!m_onWritten) {
        m_onWritten = m_socket.onWritten(this, [this] {
            m_lastActivity.start();
            m_carried = true;
            if (m_readsPaused || m_stage != Stage::Serving) // otherwise nothing waits for it
                check();
        });
    }
    if (!m_onDisconnected) {
        m_onDisconnected = m_socket.onDisconnected(this, [this] {
            if (m_stage == Stage::Closed)
                return lingerNow(); // handed over: the linger holds the session
            markClosed();
            m_token.reset(); // closed by the application or the peer: the session is over
        });
    }
}

ConnectionGuard *ConnectionGuard::find(QIODevice *socket)
{
    return socket ? socket->findChild<ConnectionGuard *>(QString(), Qt::FindDirectChildrenOnly)
                  : nullptr;
}

ConnectionGuard *ConnectionGuard::of(QIODevice *socket, const QObject *server)
{
    ConnectionGuard *guard = find(socket);
    return guard && guard->m_server == server ? guard : nullptr;
}

void ConnectionGuard::setMode(Mode mode)
{
    m_mode = mode;
    countBusy();
    watchSocket();
    check();
}

void ConnectionGuard::markTaken()
{
    if (m_taken)
        return;
    {
        const std::lock_guard lock(m_roll->mutex);
        m_taken = true;
        --m_roll->pending;
    }
    if (m_socket.isTls()) // taken once its handshake is done: its last activity
        m_lastActivity.start();
    check();
}

int ConnectionGuard::unreadBytes() const
{
    int unread = 0;
    if (::ioctl(m_socket.descriptor(), FIONREAD, &unread) != 0)
        unread = 0;
    return unread + static_cast<int>(m_socket.bytesAvailable());
}

bool ConnectionGuard::isBusy() const
{
    // Until the application takes it, a connection is the application's to serve.
    if (!m_taken)
        return true;
    switch (m_mode) {
    case Mode::Busy:
        return true;
    case Mode::Idle:
        return false;
    case Mode::Auto:
        break;
    }
    return (m_http && m_http->isBusy()) || m_socket.bytesToWrite() > 0 || unreadBytes() > 0;
}

bool ConnectionGuard::drain(QDeadlineTimer lingerEnd, Fin fin)
{
    if (m_stage == Stage::Serving)
        m_stage = Stage::Draining;
    else if (m_stage == Stage::Closing)
        m_stage = Stage::ClosingInDrain;
    if (m_http)
        m_http->closeAfterResponses();
    m_lingerEnd = lingerEnd;
    watchSocket();
    const QScopedValueRollback<bool> finFirst(m_finFirst, fin == Fin::First);
    check();
    return m_stage == Stage::WriteShut;
}

void ConnectionGuard::finishClose()
{
    if (m_stage != Stage::WriteShut || !m_socket.isConnected())
        return;
    // What the application wrote after the FIN can no longer be sent.
    const qint64 unsent = m_socket.bytesToWrite();
    handOver(true, unsent > 0 ? QStringLiteral("%1 byte(s) written after its FIN").arg(unsent)
                              : QString());
}

// Auto mode closes a connection only once it has been quiet for the idle
// grace, so a stream that pauses for a moment is not cut in the pause.
bool ConnectionGuard::quietLongEnough()
{
    // A client told "Connection: close" sends nothing more.
    if (m_mode != Mode::Auto || (m_http && m_http->hasSaidClose()))
        return true;
    const qint64 wait = m_options.idleGrace().count() - m_lastActivity.elapsed();
    if (wait <= 0)
        return true;
    if (!m_checks.afterGrace) {
        m_checks.afterGrace = true;
        QTimer::singleShot(std::chrono::milliseconds(wait), this, [this] {
            m_checks.afterGrace = false;
            check();
        });
    }
    return false;
}

bool ConnectionGuard::headTooSlow()
{
    if (!m_http || !m_http->inRequestHead())
        return false;
    const qint64 wait = HttpExchange::SlowHeadInDrain.count() - m_http->requestHeadAgeMs();
    if (wait <= 0)
        return true;
    if (!m_checks.afterSlowHead) {
        m_checks.afterSlowHead = true;
        QTimer::singleShot(std::chrono::milliseconds(wait), this, [this] {
            m_checks.afterSlowHead = false;
            check();
        });
    }
    return false;
}

void ConnectionGuard::closeNow()
{
    cutOff("at the shutdown deadline");
}

qint64 ConnectionGuard::silentForMs() const
{
    if (m_carried || m_mode == Mode::Busy || m_stage != Stage::Serving ||
        m_socket.bytesToWrite() > 0 || unreadBytes() > 0)
        return -1;
    return m_lastActivity.elapsed(); // since it was accepted
}

void ConnectionGuard::shed()
{
    markClosed();
    m_token.reset();
    m_socket.closeByQt(); // nothing to send or read: a FIN, the descriptor closed now
}

void ConnectionGuard::cutOff(const char *when)
{
    if (m_linger.fd >= 0) { // Qt still holds its close_notify: the peer does not read
        m_linger.cut = QStringLiteral("its TLS close_notify never sent");
        qCWarning(lcNetwork, "%ls closed %s: %ls", qUtf16Printable(m_socket.name()), when,
                  qUtf16Printable(m_linger.cut));
        countCutOff();
        m_socket.abort();
        return lingerNow();
    }
    if (m_stage == Stage::Closed || !m_socket.isConnected())
        return;
    // What closing now cuts off makes the connection abandoned, not drained.
    QStringList cut;
    if (m_socket.isHandshaking())
        cut.append(QStringLiteral("TLS handshake in progress"));
    else if (!m_taken)
        cut.append(QStringLiteral("never taken by the application"));
    else if (m_mode == Mode::Busy)
        cut.append(QStringLiteral("marked busy"));
    else if (m_http && m_http->isBusy())
        cut.append(m_http->busyWith());
    if (const qint64 unsent = m_socket.bytesToWrite())
        cut.append(QStringLiteral("%1 byte(s) its peer never took").arg(unsent));
    if (const int unread = unreadBytes())
        cut.append(QStringLiteral("%1 byte(s) never read").arg(unread));
    if (!cut.isEmpty()) {
        qCWarning(lcNetwork, "%ls closed %s: %ls", qUtf16Printable(m_socket.name()), when,
                  qUtf16Printable(cut.join(QStringLiteral(", "))));
        countCutOff();
    }
    handOver(true, cut.join(QStringLiteral(", ")));
}

void ConnectionGuard::markClosed()
{
    if (m_stage == Stage::Closed)
        return;
    m_stage = Stage::Closed;
    countBusy();
    if (ServerStats *stats = m_roll->stats.get()) {
        --stats->open;
        if (stats->draining)
            ++stats->closedInDrain;
    }
}

void ConnectionGuard::countBusy()
{
    // The stage first: once closed, the exchange may be gone (a sibling).
    const bool busy =
        m_stage != Stage::Closed &&
        (m_mode == Mode::Busy || (m_mode == Mode::Auto && m_http && m_http->isBusy()));
    if (busy == m_countedBusy)
        return;
    m_countedBusy = busy;
    if (ServerStats *stats = m_roll->stats.get())
        stats->busy += busy ? 1 : -1;
}

void ConnectionGuard::countCutOff()
{
    if (ServerStats *stats = m_roll->stats.get())
        ++stats->cutOff;
}

bool ConnectionGuard::closeGracefully(QIODevice *socket)
{
    ConnectionGuard *guard = find(socket);
    if (!guard || guard->m_stage == Stage::Closed || !guard->m_socket.isConnected())
        return false;
    if (guard->m_stage == Stage::Serving)
        guard->m_stage = Stage::Closing;
    else if (guard->m_stage == Stage::Draining)
        guard->m_stage = Stage::ClosingInDrain;
    guard->watchSocket();
    guard->check();
    return true;
}

bool ConnectionGuard::eventFilter(QObject *watched, QEvent *event)
{
    // Qt closes a socket the moment it reads the peer's EOF, dropping any
    // output it still holds: with output held, reading waits for it to go
    // (bytesWritten, then check()). Checked here, as Qt is about to read,
    // rather than after every read: it costs nothing while replies flow.
    // Decided here, never written here: a write that fails makes Qt abort
    // the socket and delete this notifier while its filters still run.
    if (event->type() != QEvent::SockAct)
        return QObject::eventFilter(watched, event);
    if (m_stage == Stage::WriteShut) { // Qt resumed reading: the linger reads from here
        setReading(false);
        scheduleCheck();
        return true;
    }
    watchSocket(); // what Qt reads next may be the peer's EOF: disconnected() is heard
    if (m_stage != Stage::Closed && m_socket.bytesToWrite() > 0) {
        setReading(false);
        return true;
    }
    return false;
}

void ConnectionGuard::scheduleCheck()
{
    if (m_checks.posted)
        return;
    m_checks.posted = true;
    QMetaObject::invokeMethod(this, &ConnectionGuard::check, Qt::QueuedConnection);
}

void ConnectionGuard::check()
{
    m_checks.posted = false;
    if (m_checks.running || m_stage == Stage::Closed || !m_socket.isConnected())
        return;
    const QScopedValueRollback<bool> running(m_checks.running, true);
    if (m_stage == Stage::WriteShut)
        return finishClose(); // the write side is shut: nothing more can be flushed
    if (m_socket.bytesToWrite() > 0) {
        m_socket.flush();
        if (!m_socket.isConnected())
            return; // the write failed: Qt has aborted the socket
    }
    // Qt closes a socket the moment it reads the peer's EOF, dropping any
    // output it still holds; so it may read only while it holds none. The
    // kernel's share is capped by the send buffer (maxPendingOutput).
    setReading(m_socket.bytesToWrite() == 0);

    switch (m_stage) {
    case Stage::Closing:
    case Stage::ClosingInDrain:
        return handOver(false);
    case Stage::Draining:
        if (!isBusy() && quietLongEnough())
            handOver(false);
        else if (headTooSlow())
            cutOff("in the drain, its request head too slow"); // a request half received
        return;
    case Stage::Serving:
    case Stage::WriteShut:
    case Stage::Closed:
        return;
    }
}

QSocketNotifier *ConnectionGuard::readNotifier()
{
    // Qt keeps its read notifier inside the socket's engine, a child of the
    // socket; pausing it is the only way to stop Qt reading from the kernel.
    if (!m_readNotifier) {
        const auto notifiers = m_socket.device()->findChildren<QSocketNotifier *>();
        for (QSocketNotifier *notifier : notifiers) {
            if (notifier->type() == QSocketNotifier::Read)
                m_readNotifier = notifier;
        }
    }
    return m_readNotifier;
}

void ConnectionGuard::setReading(bool reading)
{
    QSocketNotifier *notifier = readNotifier();
    if (!notifier)
        return;
    if (m_readsPaused != !reading)
        qCDebug(lcNetwork, "connection %p: %s reading", static_cast<void *>(m_socket.device()),
                reading ? "resumed" : "paused");
    m_readsPaused = !reading;
    notifier->setEnabled(reading);
}

void ConnectionGuard::handOver(bool dropOutput, const QString &cut)
{
    if (m_socket.isTls() && !m_checks.ownTurn) {
        // Not here, where Qt's TLS backend may be emitting the signal that
        // led here, and would use its session after the close: in a turn
        // of its own, decided again (the application may have read or
        // written meanwhile).
        QMetaObject::invokeMethod(
            this,
            [this, dropOutput, cut] {
                const QScopedValueRollback<bool> ownTurn(m_checks.ownTurn, true);
                if (!dropOutput)
                    check();
                else if (m_stage != Stage::Closed && m_socket.isConnected())
                    handOver(true, cut);
            },
            Qt::QueuedConnection);
        return;
    }
    if (!dropOutput && m_socket.bytesToWrite() > 0)
        return; // check() comes back with bytesWritten
    if (m_finFirst && !dropOutput && m_stage == Stage::Draining) {
        // Every client hears of the drain before any connection's close
        // (Qt's, and the linger's) takes the thread's time.
        ::shutdown(m_socket.descriptor(), SHUT_WR);
        setReading(false);
        m_stage = Stage::WriteShut;
        return;
    }
    const bool inDrain = m_stage == Stage::Draining || m_stage == Stage::ClosingInDrain ||
                         m_stage == Stage::WriteShut;
    markClosed();
    // Take the descriptor over, then let Qt close its own: the connection
    // lives on in the copy, which the linger closes without a reset.
    const int fd = copyDescriptor(m_socket.descriptor());
    if (fd < 0) {
        qCWarning(lcNetwork,
                  "cannot close a connection gracefully: no descriptor for it (%s); "
                  "closing it",
                  std::strerror(errno));
        m_socket.closeByQt();
        m_token.reset();
        return;
    }
    QDeadlineTimer end(m_server ? m_options.linger() : std::chrono::milliseconds(0));
    // A protocol with a closing handshake: in a drain, the peer has until
    // the deadline to close, and one that does not is named.
    const bool awaitPeer = inDrain && m_server && m_options.awaitsPeerClose();
    if (awaitPeer || m_lingerEnd < end)
        end = m_lingerEnd;
    m_linger = {fd, end, cut,
                awaitPeer ? QStringLiteral("its peer never closed its side") : QString()};
    // Over TLS, the session ends with close_notify before the FIN: the
    // linger shuts the write side only once Qt has sent it.
    if (m_socket.sendCloseNotify(&m_linger.trailing) == SocketAccess::CloseNotify::Pending)
        return; // lingerNow() on disconnected(), at the deadline, or with the socket
    lingerNow();
    m_socket.abort();
    refillReserve(); // from the descriptor abort() gave back
}

void ConnectionGuard::lingerNow()
{
    if (m_linger.fd < 0)
        return;
    LingerSet::local()->add(std::exchange(m_linger.fd, -1), std::move(m_token), m_linger.end,
                            m_linger.cut, m_linger.ifPeerSilent, m_linger.trailing);
}

} // namespace canstop
