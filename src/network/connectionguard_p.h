#pragma once

#include <canstop/sessiontoken.h>

#include <QObject>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
class QTcpSocket;
QT_END_NAMESPACE

namespace canstop {

class GracefulTcpServer;

// Watches one accepted socket, as its child: holds its session, pauses
// reading while Qt holds unsent output, and closes it gracefully when the
// server drains and the connection is idle (or the deadline has come).
// Lives in the socket's thread; the server may go first (the guard then
// closes with no linger).
class ConnectionGuard : public QObject
{
    Q_OBJECT

public:
    enum class Mode { Auto, Busy, Idle };

    ConnectionGuard(QTcpSocket *socket, SessionToken token, GracefulTcpServer *server);

    // The guard of `socket`, if `server` accepted it.
    static ConnectionGuard *of(QTcpSocket *socket, const GracefulTcpServer *server);

    void setMode(Mode mode);
    bool isBusy() const;
    // Closes the connection as soon as it is idle.
    void drain();
    // Closes it now, dropping output the peer has not taken.
    void closeNow();

private:
    void scheduleCheck();
    void check();
    void setReading(bool reading);
    QSocketNotifier *readNotifier();
    void handOver(bool dropOutput);

    QTcpSocket *const m_socket;
    const QPointer<GracefulTcpServer> m_server;
    SessionToken m_token;
    QPointer<QSocketNotifier> m_readNotifier;
    Mode m_mode = Mode::Auto;
    bool m_checkPending = false;
    bool m_checking = false;
    bool m_paused = false;
    bool m_draining = false;
    bool m_closing = false;
};

} // namespace canstop
