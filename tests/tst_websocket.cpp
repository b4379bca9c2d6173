// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-websocket (GracefulWebSocketServer) as a child process, across
// its SIGTERM: 200 clients of Python's websockets library, a client that
// never answers the close frame, and handshakes in progress.
#include "common/childprocess.h"
#include "common/loopback.h"
#include "common/rawreceiver.h"
#include "common/testmain.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTest>

#include <csignal>

namespace {

class WebSocketServer : public ChildProcess
{
public:
    explicit WebSocketServer(int shutdownTimeoutMs = 20000)
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_WEBSOCKET")),
                       {QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--shutdown-timeout"), QString::number(shutdownTimeoutMs)})
    {}
};

const QByteArray Handshake = "GET / HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n";

// An unmasked close frame from the server: 0x88, length, code, reason.
quint16 closeCode(const QByteArray &frame)
{
    if (frame.size() < 4 || quint8(frame.at(0)) != 0x88)
        return 0;
    return quint16(quint8(frame.at(2)) << 8 | quint8(frame.at(3)));
}

// A raw TCP client that keeps what it receives as it comes (Qt drops a
// socket's buffer when it reads the peer's EOF).
struct RawClient
{
    QTcpSocket socket;
    QByteArray received;

    explicit RawClient(quint16 port)
    {
        QObject::connect(&socket, &QIODevice::readyRead, &socket,
                         [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }

    QByteArray head() const { return received.left(received.indexOf("\r\n\r\n")); }
    QByteArray afterHead() const
    {
        const qsizetype end = received.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : received.mid(end + 4);
    }
};

} // namespace

class TestWebSocket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(!qgetenv("CANSTOP_WEBSOCKET").isEmpty()); }

    // Every client sees close code 1001 (none 1006), and every message the
    // server received was echoed to its client before the close.
    void pythonClientsSeeGoingAway()
    {
        WebSocketServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const int clients = 200;
        ChildProcess python(QStringLiteral("/usr/bin/python3"),
                            {QStringLiteral(CANSTOP_TESTS_DIR "/websocket/echo_clients.py"),
                             QString::number(port), QString::number(server.processId()),
                             QString::number(clients)});
        QCOMPARE(python.waitForExit(90000), 0);
        QCOMPARE(server.waitForExit(30000), 0);
        const QByteArray report = python.stdOut() + python.stdErr();
        const QJsonObject seen = QJsonDocument::fromJson(python.stdOut()).object();
        QVERIFY2(!seen.isEmpty(), report.constData());
        QVERIFY2(seen.value(QStringLiteral("other")).toArray().isEmpty(), report.constData());
        const QJsonObject codes = seen.value(QStringLiteral("codes")).toObject();
        QCOMPARE(codes.keys(), QStringList{QStringLiteral("1001")});
        QCOMPARE(codes.value(QStringLiteral("1001")).toInt(), clients);
        const QRegularExpressionMatch echoed =
            QRegularExpression(QStringLiteral("echoed (\\d+) message"))
                .match(QString::fromLocal8Bit(server.stdErr()));
        QVERIFY2(echoed.hasMatch(), server.stdErr().constData());
        QCOMPARE(seen.value(QStringLiteral("echoes")).toInteger(), echoed.captured(1).toLongLong());
        QVERIFY(server.stdErr().contains(QByteArray::number(clients) + " session(s) drained"));
    }

    // A client that never answers the close frame holds the drain until the
    // deadline, no longer, and is named; the exit code says so.
    void silentClientIsNamedAtTheDeadline()
    {
        WebSocketServer server(1500);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        // Not a QTcpSocket: Qt closes its side when it reads the peer's EOF.
        const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto closeClient = qScopeGuard([client] { ::close(client); });
        const sockaddr_in address = loopbackAddress(port);
        QCOMPARE(::connect(client, reinterpret_cast<const sockaddr *>(&address), sizeof address),
                 0);
        QCOMPARE(::send(client, Handshake.constData(), Handshake.size(), MSG_NOSIGNAL),
                 Handshake.size());
        RawReceiver received(client);
        QTRY_VERIFY_WITH_TIMEOUT((received.receive(), received.data.contains("\r\n\r\n")), 10000);
        QVERIFY2(received.data.startsWith("HTTP/1.1 101"), received.data.constData());

        server.signal(SIGTERM);
        QTRY_COMPARE_WITH_TIMEOUT((received.receive(), closeCode(received.data.mid(
                                                           received.data.indexOf("\r\n\r\n") + 4))),
                                  quint16(1001), 10000);
        QCOMPARE(server.waitForExit(20000), 1);
        const QByteArray log = server.stdErr();
        QVERIFY2(log.contains("its peer never closed its side"), log.constData());
        QTRY_VERIFY_WITH_TIMEOUT(received.receive(), 10000);
        QCOMPARE(received.error, 0); // an EOF, not a reset
    }

    // Clients that came and went before the SIGTERM (Qt WebSockets cuts
    // every connection of a socket it is done with, disconnect() with no
    // arguments, then deletes it): the drain forgets them all the same,
    // whether it ends at once or at the deadline with a silent client.
    void clientsThatCameAndWentBeforeTheSigterm_data()
    {
        QTest::addColumn<bool>("silentClient");
        QTest::newRow("ends at once") << false;
        QTest::newRow("ends at the deadline") << true;
    }
    void clientsThatCameAndWentBeforeTheSigterm()
    {
        QFETCH(bool, silentClient);
        WebSocketServer server(1500);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const QByteArray maskedClose("\x88\x82\0\0\0\0\x03\xe8", 8); // 1000, mask 0
        for (int i = 0; i < 3; ++i) {
            RawClient client(port);
            QVERIFY(client.socket.waitForConnected(5000));
            client.socket.write(Handshake);
            QTRY_VERIFY_WITH_TIMEOUT(client.received.contains("\r\n\r\n"), 10000);
            QVERIFY2(client.head().startsWith("HTTP/1.1 101"), client.received.constData());
            if (i != 1) { // the second one just goes
                client.socket.write(maskedClose);
                QTRY_COMPARE_WITH_TIMEOUT(closeCode(client.afterHead()), quint16(1000), 10000);
            }
            client.socket.disconnectFromHost();
            QTRY_COMPARE_WITH_TIMEOUT(client.socket.state(), QAbstractSocket::UnconnectedState,
                                      10000);
        }
        // Its handshake is answered after the others have gone. Not a
        // QTcpSocket: Qt closes its side when it reads the peer's EOF.
        const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto closeSilent = qScopeGuard([silent] { ::close(silent); });
        const sockaddr_in address = loopbackAddress(port);
        QCOMPARE(::connect(silent, reinterpret_cast<const sockaddr *>(&address), sizeof address),
                 0);
        QCOMPARE(::send(silent, Handshake.constData(), Handshake.size(), MSG_NOSIGNAL),
                 Handshake.size());
        RawReceiver received(silent);
        QTRY_VERIFY_WITH_TIMEOUT((received.receive(), received.data.contains("\r\n\r\n")), 10000);
        if (!silentClient) { // it answers the close after all
            server.signal(SIGTERM);
            QTRY_VERIFY_WITH_TIMEOUT(
                (received.receive(),
                 closeCode(received.data.mid(received.data.indexOf("\r\n\r\n") + 4)) == 1001),
                10000);
            ::shutdown(silent, SHUT_WR);
            QCOMPARE(server.waitForExit(20000), 0);
            return;
        }
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(20000), 1);
        QVERIFY2(server.stdErr().contains("its peer never closed its side"),
                 server.stdErr().constData());
    }

    // At the SIGTERM one client is halfway through its opening handshake
    // and another has sent nothing: the first finishes it and gets 1001,
    // the second an EOF; nobody sees a reset.
    void handshakesInProgress()
    {
        WebSocketServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        RawClient halfway(port);
        RawClient silent(port);
        QVERIFY(halfway.socket.waitForConnected(5000));
        QVERIFY(silent.socket.waitForConnected(5000));
        halfway.socket.write(Handshake.left(40));
        QVERIFY(halfway.socket.waitForBytesWritten(5000));
        server.signal(SIGTERM);
        QVERIFY(server.waitForOutput("closing 0 WebSocket(s)"));

        QTRY_COMPARE_WITH_TIMEOUT(silent.socket.state(), QAbstractSocket::UnconnectedState, 10000);
        QCOMPARE(silent.socket.error(), QAbstractSocket::RemoteHostClosedError);
        QCOMPARE(silent.received, QByteArray());

        halfway.socket.write(Handshake.mid(40));
        QTRY_COMPARE_WITH_TIMEOUT(closeCode(halfway.afterHead()), quint16(1001), 10000);
        QVERIFY2(halfway.head().startsWith("HTTP/1.1 101"), halfway.received.constData());
        halfway.socket.disconnectFromHost(); // the client's side of the closing handshake
        QCOMPARE(server.waitForExit(20000), 0);
    }
};

CANSTOP_TEST_MAIN(TestWebSocket)
#include "tst_websocket.moc"
