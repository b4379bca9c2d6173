#pragma once

#include <canstop/sessiontoken.h>

#include <QObject>
#include <QTimer>

#include <chrono>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// The last part of a graceful close, on a descriptor taken over from a
// QTcpSocket that has already let go of it: the write side is shut (the
// peer gets everything queued, then EOF), input is read and discarded until
// the peer closes or the linger passes, and only then is the descriptor
// closed, with nothing unread, so the kernel never answers with a reset.
class SocketLinger : public QObject
{
    Q_OBJECT

public:
    // Takes ownership of `fd` and of the session `token`, released at the end.
    SocketLinger(int fd, SessionToken token, std::chrono::milliseconds linger, QObject *parent);
    ~SocketLinger() override;

Q_SIGNALS:
    void finished();

private:
    void discardInput();
    void finish();

    int m_fd;
    SessionToken m_token;
    QSocketNotifier *m_notifier;
    QTimer m_timer;
};

} // namespace canstop
