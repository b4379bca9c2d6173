#include "socketlinger_p.h"

#include <QSocketNotifier>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

SocketLinger::SocketLinger(int fd, SessionToken token, std::chrono::milliseconds linger,
                           QObject *parent)
    : QObject(parent), m_fd(fd), m_token(std::move(token)),
      m_notifier(new QSocketNotifier(fd, QSocketNotifier::Read, this))
{
    ::shutdown(m_fd, SHUT_WR);
    connect(m_notifier, &QSocketNotifier::activated, this, &SocketLinger::discardInput);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &SocketLinger::finish);
    m_timer.start(linger);
}

SocketLinger::~SocketLinger()
{
    if (m_fd >= 0) {
        discardInput();
        ::close(m_fd);
    }
}

void SocketLinger::discardInput()
{
    char buffer[16384];
    for (;;) {
        const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0)
            continue;
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            finish(); // the peer closed (or the connection is gone): done
        return;
    }
}

void SocketLinger::finish()
{
    if (m_fd < 0)
        return;
    m_notifier->setEnabled(false);
    m_timer.stop();
    // Whatever arrived last is read first: closing with unread input resets.
    char buffer[16384];
    while (::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
    ::close(m_fd);
    m_fd = -1;
    m_token.reset();
    Q_EMIT finished();
    deleteLater();
}

} // namespace canstop
