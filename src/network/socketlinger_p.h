#pragma once

#include <canstop/sessiontoken.h>

#include <QDeadlineTimer>
#include <QObject>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// The last part of a graceful close, on a descriptor taken over from a
// QTcpSocket that has already let go of it: the write side is shut (the
// peer gets everything queued, then EOF), input is read and discarded until
// the peer closes or the linger ends, and only then is the descriptor
// closed, with nothing unread, so the kernel never answers with a reset.
// The session ends there: drained, or abandoned when the close cut
// something off (`cut`, or output the peer has not acknowledged).
class SocketLinger : public QObject
{
    Q_OBJECT

public:
    // Takes ownership of `fd` and of the session `token`.
    SocketLinger(int fd, SessionToken token, QDeadlineTimer end, const QString &cut,
                 QObject *parent);
    ~SocketLinger() override;

private:
    void discardInput();
    void finish();

    int m_fd;
    SessionToken m_token;
    QString m_cut;
    QSocketNotifier *m_notifier;
    QTimer m_timer;
};

} // namespace canstop
