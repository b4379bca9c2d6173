// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// One connection's guard alone, driven by feeding it events: a Unix socket
// pair in this process (the guard's side a QLocalSocket, the peer a plain
// descriptor), no server, no drain of a set.
#include "common/testmain.h"
#include "connectionguard_p.h"

#include "common/rawreceiver.h"
#include "common/testmanager.h"

#include <QLocalSocket>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

using canstop::ConnectionGuard;
using canstop::ConnectionRoll;
using canstop::DrainOptions;
using canstop::SocketAccess;
using Stage = ConnectionGuard::Stage;
using Mode = ConnectionGuard::Mode;
using namespace std::chrono_literals;

namespace {

struct Fixture
{
    TestManager manager;
    QObject server; // the guard's server: its settings apply while it exists
    std::shared_ptr<ConnectionRoll> roll = std::make_shared<ConnectionRoll>();
    QLocalSocket *socket = nullptr;
    ConnectionGuard *guard = nullptr;
    int peer = -1;

    // By default auto mode closes as soon as a connection is idle.
    explicit Fixture(DrainOptions options = quickOptions())
    {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            return;
        peer = pair[1];
        socket = new QLocalSocket(&server);
        socket->setSocketDescriptor(pair[0]);
        guard = new ConnectionGuard(SocketAccess(socket),
                                    manager.holdSession(QStringLiteral("connection")), &server,
                                    options, roll);
    }
    ~Fixture() { ::close(peer); }

    static DrainOptions quickOptions()
    {
        DrainOptions options;
        options.setIdleGrace(0ms);
        return options;
    }

    bool made() const { return guard && socket->state() == QLocalSocket::ConnectedState; }
    // The peer reads until the end of the stream; what it read.
    QByteArray peerReadsToTheEnd()
    {
        RawReceiver received(peer);
        QDeadlineTimer bound(10000);
        while (!received.receive() && !bound.hasExpired())
            QTest::qWait(1);
        return received.ended && received.error == 0 ? received.data : "(no clean end)";
    }
};

} // namespace

class TestConnectionGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // Taken, idle, drained: closed at once, the peer gets an EOF, and the
    // session lasts until the peer has closed too.
    void anIdleConnectionDrainsAtOnce()
    {
        Fixture f;
        QVERIFY(f.made());
        QCOMPARE(f.guard->stage(), Stage::Serving);
        QCOMPARE(f.roll->pending, 1);
        f.guard->markTaken();
        QCOMPARE(f.roll->pending, 0);
        f.guard->drain(QDeadlineTimer::Forever);
        QCOMPARE(f.guard->stage(), Stage::Closed);
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray());
        QCOMPARE(f.manager.activeSessions(), 1); // lingering
        ::shutdown(f.peer, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
    }

    // Silent until a byte arrives (read or not) or is written; a silent
    // one is shed at once, with an EOF for the peer and its session over.
    void silenceEndsWithTheFirstByte()
    {
        Fixture f;
        QVERIFY(f.made());
        QVERIFY(f.guard->silentForMs() >= 0);
        QCOMPARE(::send(f.peer, "x", 1, MSG_NOSIGNAL), ssize_t(1));
        QCOMPARE(f.guard->silentForMs(), -1); // waiting to be read counts
        QVERIFY(f.socket->waitForReadyRead(10000));
        f.socket->readAll();
        QCOMPARE(f.guard->silentForMs(), -1);

        Fixture written;
        QVERIFY(written.made());
        written.socket->write("y");
        QVERIFY(written.socket->waitForBytesWritten(10000));
        QCOMPARE(written.guard->silentForMs(), -1);

        Fixture silent;
        QVERIFY(silent.made());
        silent.guard->shed();
        QCOMPARE(silent.guard->stage(), Stage::Closed);
        QCOMPARE(silent.manager.activeSessions(), 0);
        QCOMPARE(silent.peerReadsToTheEnd(), QByteArray());
    }

    // Until the application takes it, a connection is busy: it drains once taken.
    void anUntakenConnectionDrainsOnceTaken()
    {
        Fixture f;
        QVERIFY(f.made());
        f.guard->drain(QDeadlineTimer::Forever);
        QCOMPARE(f.guard->stage(), Stage::Draining);
        QVERIFY(f.guard->isBusy());
        f.guard->markTaken();
        QCOMPARE(f.guard->stage(), Stage::Closed);
    }

    // Marked busy, it waits for markIdle(); bytes unread hold it too.
    void busyWaitsForIdleAndUnreadBytes()
    {
        Fixture f;
        QVERIFY(f.made());
        f.guard->markTaken();
        f.guard->setMode(Mode::Busy);
        f.guard->drain(QDeadlineTimer::Forever);
        QCOMPARE(f.guard->stage(), Stage::Draining);
        QCOMPARE(::send(f.peer, "request", 7, MSG_NOSIGNAL), 7);
        f.guard->setMode(Mode::Auto);
        QTRY_COMPARE_WITH_TIMEOUT(f.socket->bytesAvailable(), qint64(7), 10000);
        QCOMPARE(f.guard->stage(), Stage::Draining); // the application has not read it
        QCOMPARE(f.socket->readAll(), QByteArray("request"));
        f.socket->write("reply");
        QTRY_COMPARE_WITH_TIMEOUT(f.guard->stage(), Stage::Closed, 10000);
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray("reply"));
    }

    // The application closes while Qt holds output the peer has not taken:
    // Closing until all of it is out, then closed; the peer gets every byte.
    void closeWaitsForTheOutput()
    {
        Fixture f;
        QVERIFY(f.made());
        f.guard->markTaken();
        const QByteArray reply(4 * 1024 * 1024, 'r'); // more than the kernel holds
        f.socket->write(reply);
        QVERIFY(ConnectionGuard::closeGracefully(f.socket));
        QCOMPARE(f.guard->stage(), Stage::Closing);
        QVERIFY(ConnectionGuard::closeGracefully(f.socket)); // asked twice: the same
        QCOMPARE(f.peerReadsToTheEnd(), reply);
        QCOMPARE(f.guard->stage(), Stage::Closed);
        QVERIFY(!ConnectionGuard::closeGracefully(f.socket)); // nothing left to close
    }

    // Closed by the application in a drain, with a server that awaits the
    // peer's close (a closing handshake): the session lasts until the peer
    // closes, whatever the linger. Outside a drain the linger ends it.
    void aCloseInADrainAwaitsThePeer_data()
    {
        QTest::addColumn<bool>("inDrain");
        QTest::newRow("in a drain") << true;
        QTest::newRow("serving") << false;
    }
    void aCloseInADrainAwaitsThePeer()
    {
        QFETCH(bool, inDrain);
        DrainOptions options = Fixture::quickOptions();
        options.setAwaitPeerClose(true);
        options.setLinger(0ms);
        Fixture f(options);
        QVERIFY(f.made());
        f.guard->markTaken();
        f.guard->setMode(Mode::Busy); // the drain alone closes nothing
        if (inDrain)
            f.guard->drain(QDeadlineTimer::Forever);
        QVERIFY(ConnectionGuard::closeGracefully(f.socket));
        QCOMPARE(f.guard->stage(), Stage::Closed);
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray());
        if (!inDrain) {
            QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
            return;
        }
        for (int turn = 0; turn < 20; ++turn)
            QCoreApplication::processEvents();
        QCOMPARE(f.manager.activeSessions(), 1);
        ::shutdown(f.peer, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
    }

    // A drain's first pass gives an idle connection its FIN only: Qt keeps
    // the socket and reads nothing more; the application hears of the close
    // when the set hands it to the linger (finishClose()).
    void finFirstLeavesTheCloseForLater()
    {
        Fixture f;
        QVERIFY(f.made());
        f.guard->markTaken();
        QSignalSpy disconnected(f.socket, &QLocalSocket::disconnected);
        QSignalSpy readyRead(f.socket, &QIODevice::readyRead);
        QVERIFY(f.guard->drain(QDeadlineTimer::Forever, ConnectionGuard::Fin::First));
        QCOMPARE(f.guard->stage(), Stage::WriteShut);
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray());
        QCOMPARE(f.socket->state(), QLocalSocket::ConnectedState);
        QCOMPARE(::send(f.peer, "late", 4, MSG_NOSIGNAL), ssize_t(4));
        QCoreApplication::processEvents(); // Qt would read it now, were it reading
        QCOMPARE(readyRead.count(), 0);
        QCOMPARE(disconnected.count(), 0);

        f.guard->finishClose();
        QCOMPARE(f.guard->stage(), Stage::Closed);
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, 10000);
        QCOMPARE(f.manager.activeSessions(), 1); // lingering, until the peer closes
        ::shutdown(f.peer, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
        QCOMPARE(readyRead.count(), 0); // the linger discarded it
    }

    // What the application writes between its connection's FIN and the
    // hand-over cannot be sent: the session is abandoned, saying so.
    void writtenAfterTheFinIsAbandoned()
    {
        Fixture f;
        QVERIFY(f.made());
        QVERIFY(f.manager.setShutdownTimeout(60s));
        f.guard->markTaken();
        f.manager.requestShutdown(); // abandoned sessions are named from here on
        QVERIFY(f.guard->drain(QDeadlineTimer::Forever, ConnectionGuard::Fin::First));
        QCOMPARE(f.socket->write("late"), qint64(4));
        f.guard->finishClose();
        QCOMPARE(f.guard->stage(), Stage::Closed);
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray());
        ::shutdown(f.peer, SHUT_WR);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.state(), canstop::LifecycleManager::State::Stopped,
                                  10000);
        QCOMPARE(f.manager.report().abandonedSessions(),
                 QStringList{QStringLiteral("connection (4 byte(s) written after its FIN)")});
    }

    // The deadline: closed now, named with what that cut off.
    void closeNowNamesWhatItCuts()
    {
        Fixture f;
        QVERIFY(f.made());
        QCOMPARE(::send(f.peer, "half a request", 14, MSG_NOSIGNAL), 14);
        QTRY_COMPARE_WITH_TIMEOUT(f.socket->bytesAvailable(), qint64(14), 10000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^local connection from process \\d+ closed at the shutdown "
                                 "deadline: never taken by the application, 14 byte\\(s\\) "
                                 "never read$")));
        f.guard->closeNow();
        QCOMPARE(f.guard->stage(), Stage::Closed);
        f.guard->closeNow(); // once only
        QCOMPARE(f.peerReadsToTheEnd(), QByteArray());
    }

    // The peer closes: Qt closes its side, the guard is done, the session over.
    void thePeersCloseEndsTheSession()
    {
        Fixture f;
        QVERIFY(f.made());
        f.guard->markTaken();
        ::close(std::exchange(f.peer, -1));
        QTRY_COMPARE_WITH_TIMEOUT(f.guard->stage(), Stage::Closed, 10000);
        QCOMPARE(f.manager.activeSessions(), 0);
        f.guard->drain(QDeadlineTimer::Forever); // nothing left to drain
        QCOMPARE(f.guard->stage(), Stage::Closed);
    }

    // The roll forgets a guard when it goes, however its socket went.
    void theRollForgetsTheGuard()
    {
        Fixture f;
        QVERIFY(f.made());
        f.socket->disconnect(); // cut every connection: nothing else tells the roll
        QCOMPARE(f.roll->guards.size(), 1);
        delete f.socket;
        QCOMPARE(f.roll->guards.size(), 0);
        QCOMPARE(f.roll->pending, 0);
        QCOMPARE(f.manager.activeSessions(), 0);
    }
};

CANSTOP_TEST_MAIN(TestConnectionGuard)
#include "tst_connectionguard.moc"
