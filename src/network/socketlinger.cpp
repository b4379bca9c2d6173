#include "socketlinger_p.h"

#include <QSocketNotifier>

#include <cerrno>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(Q_OS_LINUX)
#include <linux/sockios.h>
#endif

namespace canstop {

namespace {

// Per turn of the event loop: a peer that floods cannot hold the thread.
constexpr int DiscardPerTurn = 64 * 1024;

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

SocketLinger::SocketLinger(int fd, SessionToken token, QDeadlineTimer end, const QString &cut,
                           QObject *parent)
    : QObject(parent), m_fd(fd), m_token(std::move(token)), m_cut(cut),
      m_notifier(new QSocketNotifier(fd, QSocketNotifier::Read, this))
{
    ::shutdown(m_fd, SHUT_WR);
    connect(m_notifier, &QSocketNotifier::activated, this, &SocketLinger::discardInput);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &SocketLinger::finish);
    m_timer.start(std::max<qint64>(0, end.remainingTime()));
}

SocketLinger::~SocketLinger()
{
    if (m_fd >= 0) {
        discard(m_fd, DiscardPerTurn);
        ::close(m_fd);
    }
}

void SocketLinger::discardInput()
{
    if (!discard(m_fd, DiscardPerTurn))
        finish();
}

void SocketLinger::finish()
{
    if (m_fd < 0)
        return;
    m_notifier->setEnabled(false);
    m_timer.stop();
    // Whatever arrived last is read first: closing with unread input resets.
    discard(m_fd, DiscardPerTurn);
    if (m_cut.isEmpty()) {
        if (const int queued = unacknowledged(m_fd))
            m_cut = QStringLiteral("%1 byte(s) its peer had not acknowledged").arg(queued);
    }
    ::close(m_fd);
    m_fd = -1;
    if (m_cut.isEmpty())
        m_token.reset();
    else
        m_token.abandon(m_cut);
    deleteLater();
}

} // namespace canstop
