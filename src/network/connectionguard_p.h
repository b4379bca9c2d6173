// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/sessiontoken.h>

#include <canstop/drainoptions.h>

#include "socketaccess_p.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <QSet>

#include <chrono>
#include <memory>
#include <mutex>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

class ConnectionGuard;
class HttpExchange;
class ServerStats;

// The guards of one server's connections (or one worker thread's). A guard
// joins it when it is made and leaves it from its destructor, which no
// disconnect() of the application's can skip; each guard holds it, so the
// server may go first. Locked: the application may move a connection, with
// its guard, to another thread.
struct ConnectionRoll
{
    std::mutex mutex;
    QSet<ConnectionGuard *> guards;
    qsizetype pending = 0;              // not yet taken by the application
    std::shared_ptr<ServerStats> stats; // set before the first guard; may be null
};

// Watches one accepted socket (TCP or local), as its child: holds its
// session, pauses reading while Qt holds unsent output, and closes it
// gracefully when the server drains and the connection is idle (or the
// deadline has come). Lives in the socket's thread; the server may go first
// (the guard then closes with no linger).
class ConnectionGuard : public QObject
{
    Q_OBJECT

public:
    enum class Mode { Auto, Busy, Idle };
    // A connection's life, one stage at a time (as Go's net/http names
    // ConnState). Whether the application has taken it is apart: that is
    // the application's, and an untaken connection drains too.
    enum class Stage {
        Serving,        // no drain, no close asked
        Draining,       // closed once idle (and, in auto mode, quiet)
        Closing,        // the application closed it: closed once Qt holds no output
        ClosingInDrain, // the same in a drain: the peer's close is awaited if the server says so
        WriteShut,      // told in a drain: its FIN sent, handed to the linger by finishClose()
        Closed,         // handed to the linger, or closed by Qt: nothing more to do
    };
    enum class Fin { WithClose, First };

    ConnectionGuard(SocketAccess socket, SessionToken token, QObject *server,
                    const DrainOptions &options, std::shared_ptr<ConnectionRoll> roll);
    ~ConnectionGuard() override;

    // The guard of `socket`, if `server` accepted it.
    static ConnectionGuard *of(QIODevice *socket, const QObject *server);

    int descriptor() const { return m_socket.descriptor(); }
    Stage stage() const { return m_stage; }
    void setMode(Mode mode);
    // The application took it with nextPendingConnection().
    void markTaken();
    bool isTaken() const { return m_taken; }
    bool isBusy() const;
    // Closes the connection as soon as it is idle (in auto mode: and quiet
    // for the idle grace); its linger ends by `lingerEnd`. With Fin::First,
    // an idle connection only gets its FIN now (shutdown of the write side,
    // Qt's reading paused), and true is returned: the caller hands it to
    // the linger with finishClose() once every connection has its FIN.
    bool drain(QDeadlineTimer lingerEnd, Fin fin = Fin::WithClose);
    // Hands a WriteShut connection to the linger, closing it for Qt.
    void finishClose();
    // Closes it now (the deadline): whatever that cuts off makes it abandoned.
    void closeNow();
    // How long it has been open with nothing read or written, and nothing
    // waiting to be read; -1 once it has carried a byte, or is marked busy,
    // or closing.
    qint64 silentForMs() const;
    // Closes a silent connection at once, its descriptor freed: nothing is
    // cut off (the process is out of descriptors; see Acceptor).
    void shed();
    // The application closes `socket`: gracefully, once Qt holds no output
    // for it. False, and nothing done, unless a guard holds it connected and
    // is not closing it already (abort() comes here too).
    static bool closeGracefully(QIODevice *socket);

protected:
    // On Qt's read notifier: Qt may read only while it holds no output.
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    static ConnectionGuard *find(QIODevice *socket);
    // Connects to the socket's signals, again where the application cut
    // them (socket->disconnect()); called wherever they start to matter.
    void watchSocket();
    void scheduleCheck();
    void check();
    void setReading(bool reading);
    QSocketNotifier *readNotifier();
    void handOver(bool dropOutput, const QString &cut = {});
    int unreadBytes() const;
    bool quietLongEnough();
    // In a drain, a request head too long in coming (HttpExchange::SlowHeadInDrain).
    bool headTooSlow();
    // Closes it now, naming what that cuts off (which makes it abandoned).
    void cutOff(const char *when);
    void countCutOff();
    // Closed for Qt (handed to the linger, or closed): no longer open.
    void markClosed();
    // Counts it busy in the server's numbers while it serves a request (HTTP)
    // or is marked busy, and not once closed.
    void countBusy();
    // Hands the descriptor handOver() copied to the linger, if it has not yet.
    void lingerNow();

    SocketAccess m_socket;
    HttpExchange *const m_http; // null unless the server speaks HTTP/1.1
    const QPointer<QObject> m_server;
    const DrainOptions m_options; // as when it was accepted
    const std::shared_ptr<ConnectionRoll> m_roll;
    SessionToken m_token;
    QMetaObject::Connection m_onRead;
    QMetaObject::Connection m_onWritten;
    QMetaObject::Connection m_onDisconnected;
    QPointer<QSocketNotifier> m_readNotifier;
    Stage m_stage = Stage::Serving;
    Mode m_mode = Mode::Auto;
    bool m_taken = false;
    bool m_readsPaused = false; // by the guard (Qt pauses them too, for its own reasons)
    bool m_carried = false;     // a byte read or written
    bool m_finFirst = false;    // in drain(..., Fin::First)
    bool m_countedBusy = false; // in ServerStats::busy
    QDeadlineTimer m_lingerEnd = QDeadlineTimer::Forever; // the drain's
    // The linger handOver() decided on, until it is started (at once, or
    // once Qt has sent TLS close_notify).
    struct
    {
        int fd = -1;
        QDeadlineTimer end;
        QString cut;
        QString ifPeerSilent;
        int trailing = 0; // its TLS close_notify, which the peer need not acknowledge
    } m_linger;
    QElapsedTimer m_lastActivity; // the last byte read or written
    // Re-entrancy, apart from the stage: a check posted, a check running,
    // a check due when the idle grace is over, one due when a slow request
    // head has had its time, a turn of the event loop of its own.
    struct
    {
        bool posted = false;
        bool running = false;
        bool afterGrace = false;
        bool afterSlowHead = false;
        bool ownTurn = false; // over TLS, handOver() runs only here
    } m_checks;
};

} // namespace canstop
