// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// GracefulTcpServer in process: request boundaries marked by the
// application, and bad input.
#include "common/loopback.h"
#include "common/testmain.h"

#include "common/rawreceiver.h"
#include "common/resetstorm.h"
#include "common/testmanager.h"

#include <canstop/gracefultcpserver.h>
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>

#include <QElapsedTimer>
#include <QPointer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <memory>
#include <mutex>
#include <set>
#include <sys/socket.h>
#include <vector>

using canstop::GracefulTcpServer;
using canstop::LifecycleManager;
using namespace std::chrono_literals;

namespace {

// Connects `client` to `server` and returns the server's side of it.
QTcpSocket *connectTo(GracefulTcpServer &server, QTcpSocket &client)
{
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    if (!client.waitForConnected(10000))
        return nullptr;
    QDeadlineTimer deadline(10000);
    while (!server.hasPendingConnections() && !deadline.hasExpired())
        QTest::qWait(1);
    return server.nextPendingConnection();
}

// Serves `connection` as an echo or, in HTTP, with a 16 KiB response to
// every request (requests counted by their blank line; they have no body).
void serveEchoOrHttp(QTcpSocket *connection, bool http)
{
    QObject::connect(connection, &QIODevice::readyRead, connection, [connection, http] {
        const QByteArray input = connection->readAll();
        if (!http)
            return void(connection->write(input));
        static const QByteArray response =
            "HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + QByteArray(16384, 'r');
        for (qsizetype requests = input.count("\r\n\r\n"); requests > 0; --requests)
            connection->write(response);
    });
}

// The value of the sample `series` (name and labels, as written) in the
// probe's /metrics; -1 if it has none.
double scraped(quint16 probePort, const QByteArray &series)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, probePort);
    if (!socket.waitForConnected(10000))
        return -1;
    socket.write("GET /metrics HTTP/1.1\r\nHost: probe\r\n\r\n");
    QByteArray answer;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
        answer += socket.readAll();
    answer += socket.readAll();
    for (const QByteArray &line : answer.split('\n')) {
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

} // namespace

class TestGracefulTcpServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void markedBusyConnectionWaitsForMarkIdle()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));

        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);

        // A request is in progress: nothing is buffered anywhere, but the
        // application says the connection is busy.
        server.markBusy(connection);
        QSignalSpy draining(&server, &GracefulTcpServer::drainingStarted);
        manager.requestShutdown();
        QCOMPARE(draining.count(), 1);
        QVERIFY(!server.isListening());
        QCOMPARE(manager.state(), LifecycleManager::State::Stopping);

        // The reply goes out, then the request is over.
        connection->write("reply");
        server.markIdle(connection);
        QSignalSpy closed(&client, &QTcpSocket::disconnected);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(client.bytesAvailable(), qint64(5), 10000);
        QCOMPARE(client.readAll(), QByteArray("reply"));
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
    }

    void busyConnectionIsNotClosedEarly()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(3000ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.setLinger(200ms));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);
        server.markBusy(connection);

        QElapsedTimer clock;
        clock.start();
        manager.requestShutdown();
        // Busy until the deadline: then it is closed, early enough for its
        // linger to end in time, and counted as abandoned: its request was cut.
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^connection from 127.0.0.1:\\d+ closed at the shutdown "
                                 "deadline: marked busy$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QSignalSpy closed(&client, &QTcpSocket::disconnected);
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QVERIFY2(clock.elapsed() >= 2500, QByteArray::number(clock.elapsed()));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().totalMs() < 3500);
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
        QVERIFY(
            manager.report().abandonedSessions().at(0).endsWith(QStringLiteral(" (marked busy)")));
    }

    // A drain sends every idle connection its FIN before it closes any (the
    // closes, Qt's and the linger's, take the thread's time): when the
    // application hears of the first close, every client has its EOF.
    void everyFinBeforeAnyClose()
    {
        constexpr int Clients = 50;
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.setIdleGrace(0ms));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        std::vector<std::unique_ptr<LoopbackClient>> clients;
        for (int i = 0; i < Clients; ++i) {
            clients.push_back(std::make_unique<LoopbackClient>(server.serverPort()));
            QVERIFY(clients.back()->connected);
        }
        int closed = 0;
        int endedAtFirstClose = -1; // clients with an EOF to read then
        connect(&server, &GracefulTcpServer::newConnection, &server, [&] {
            while (QTcpSocket *connection = server.nextPendingConnection()) {
                connect(connection, &QTcpSocket::disconnected, connection, [&] {
                    if (closed++ > 0)
                        return;
                    endedAtFirstClose = 0;
                    for (const auto &client : clients) {
                        char byte = 0;
                        if (::recv(client->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
                            ++endedAtFirstClose;
                    }
                });
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), Clients, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(server.hasPendingConnections(), false, 10000);

        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(closed, Clients, 10000);
        QCOMPARE(endedAtFirstClose, Clients);
        clients.clear(); // the peers close: the lingers end
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), Clients);
    }

    // The application (or QWebSocket, or QHttpServer) closes a connection
    // while its peer is still sending: the peer gets the reply and an EOF,
    // never a reset, and the session lasts until the peer has closed too.
    void applicationCloseIsGraceful()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto closeClient = qScopeGuard([client] { ::close(client); });
        const sockaddr_in address = loopbackAddress(server.serverPort());
        QCOMPARE(::connect(client, reinterpret_cast<const sockaddr *>(&address), sizeof address),
                 0);
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        QTcpSocket *connection = server.nextPendingConnection();
        QSignalSpy disconnected(connection, &QTcpSocket::disconnected);

        connection->write("reply");
        connection->disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, 10000);
        QCOMPARE(manager.activeSessions(), 1); // lingering: the peer has not closed
        // Sent after the close: a closed descriptor would answer with a reset.
        QCOMPARE(::send(client, "late", 4, MSG_NOSIGNAL), 4);

        RawReceiver received(client);
        QTRY_VERIFY_WITH_TIMEOUT(received.receive(), 10000);
        QCOMPARE(received.data, QByteArray("reply"));
        QCOMPARE(received.error, 0); // an EOF
        ::shutdown(client, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
        QCOMPARE(received.pendingError(), 0); // no reset came
    }

    void untakenConnectionsStayPendingThroughTheDrain()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10000));
        client.write("request");
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);

        // The application takes its connections lazily: not yet.
        manager.requestShutdown();
        QVERIFY(!server.isListening());
        QVERIFY(server.hasPendingConnections());
        QTcpSocket *connection = server.nextPendingConnection();
        QVERIFY(connection);
        QTRY_COMPARE_WITH_TIMEOUT(connection->bytesAvailable(), qint64(7), 10000);
        QCOMPARE(connection->readAll(), QByteArray("request"));
        connection->write("reply");

        QSignalSpy closed(&client, &QTcpSocket::disconnected);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QCOMPARE(client.readAll(), QByteArray("reply"));
    }

    void untakenAtTheDeadlineIsAbandoned()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(500ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10000));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);

        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral(
                              "closed at the shutdown deadline: never taken by the application")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QSignalSpy closed(&client, &QTcpSocket::disconnected);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().exitCode(), 1);
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
        QCOMPARE(manager.report().sessionsDrained(), 0);
        QVERIFY(manager.report().abandonedSessions().at(0).endsWith(
            QStringLiteral("(never taken by the application)")));
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000); // an orderly end, not a reset
        QCOMPARE(client.error(), QAbstractSocket::RemoteHostClosedError);
    }

    void deletedWithConnectionsNobodyTook()
    {
        // QTcpServer's destructor deletes the pending sockets after the
        // server's own data is gone: their handlers must not reach it.
        TestManager manager;
        for (int round = 0; round < 50; ++round) {
            auto server = std::make_unique<GracefulTcpServer>(&manager);
            QVERIFY(server->listen(QHostAddress::LocalHost));
            QTcpSocket client;
            client.connectToHost(QHostAddress::LocalHost, server->serverPort());
            QVERIFY(client.waitForConnected(10000));
            QTRY_VERIFY_WITH_TIMEOUT(server->hasPendingConnections(), 10000);
            server.reset();
        }
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
    }

    void serverMadeBeforeTheManagerFollowsIt()
    {
        GracefulTcpServer server; // follows the application's manager, made next
        TestManager manager;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QVERIFY(connectTo(server, client));
        QCOMPARE(manager.activeSessions(), 1);
        QSignalSpy draining(&server, &GracefulTcpServer::drainingStarted);
        manager.requestShutdown();
        QCOMPARE(draining.count(), 1);
        QVERIFY(!server.isListening());
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsDrained(), 1);
    }

    void nullptrIsTheParent()
    {
        GracefulTcpServer server(nullptr); // not ambiguous: no parent, the application's manager
        QCOMPARE(server.parent(), nullptr);
    }

    void servesInWorkerThreads()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        std::mutex mutex;
        std::set<QThread *> servedIn;
        QVERIFY(server.serveInThreads(2, [&](QTcpSocket *connection) {
            {
                const std::lock_guard lock(mutex);
                servedIn.insert(QThread::currentThread());
            }
            QObject::connect(connection, &QTcpSocket::readyRead, connection,
                             [connection] { connection->write(connection->readAll()); });
        }));
        QCOMPARE(server.workerThreads(), 2);
        QVERIFY(server.listen(QHostAddress::LocalHost));

        constexpr int Clients = 8;
        std::vector<std::unique_ptr<QTcpSocket>> clients;
        for (int i = 0; i < Clients; ++i) {
            clients.push_back(std::make_unique<QTcpSocket>());
            clients.back()->connectToHost(QHostAddress::LocalHost, server.serverPort());
            QVERIFY(clients.back()->waitForConnected(10000));
            clients.back()->write("ping " + QByteArray::number(i));
        }
        for (int i = 0; i < Clients; ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(clients[i]->bytesAvailable(), qint64(6), 10000);
            QCOMPARE(clients[i]->readAll(), "ping " + QByteArray::number(i));
        }
        QCOMPARE(manager.activeSessions(), Clients);
        QVERIFY(!server.hasPendingConnections()); // handed to the threads instead
        {
            const std::lock_guard lock(mutex);
            QCOMPARE(servedIn.size(), size_t(2)); // in turn
            QVERIFY(!servedIn.count(QThread::currentThread()));
        }

        // Drained as one server: every client gets its EOF, none a reset.
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), Clients);
        for (const auto &client : clients) {
            QTRY_COMPARE_WITH_TIMEOUT(client->state(), QAbstractSocket::UnconnectedState, 10000);
            QCOMPARE(client->error(), QAbstractSocket::RemoteHostClosedError);
        }
    }

    // Marked busy in its worker thread and never idle: cut at the deadline,
    // and named as any other connection.
    void aBusyConnectionInAWorkerIsNamedAtTheDeadline()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(1000ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.setLinger(200ms));
        QVERIFY(server.serveInThreads(
            1, [&server](QTcpSocket *connection) { server.markBusy(connection); }));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10000));
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^connection from 127.0.0.1:\\d+ closed at the shutdown "
                                 "deadline: marked busy$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        const QStringList abandoned = manager.report().abandonedSessions();
        QCOMPARE(abandoned.size(), 1);
        QVERIFY2(
            QRegularExpression(QStringLiteral("^connection from 127.0.0.1:\\d+ \\(marked busy\\)$"))
                .match(abandoned.first())
                .hasMatch(),
            qPrintable(abandoned.first()));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 10000);
    }

    // Clients that send and reset before reading their replies, in a storm
    // (with a reply still in Qt's buffer, Qt's write fails and it aborts
    // the socket): the server outlives them all, counts every one of them
    // out, and serves the next client as before.
    void survivesClientsThatResetUnread_data()
    {
        QTest::addColumn<int>("threads");
        QTest::addColumn<bool>("http");
        QTest::addColumn<int>("payload");
        QTest::newRow("echo, 3 KB") << 0 << false << 3000;
        QTest::newRow("echo, 200 KB") << 0 << false << 200000;
        QTest::newRow("echo in worker threads") << 2 << false << 3000;
        QTest::newRow("http, pipelined") << 0 << true << 0;
        QTest::newRow("http in worker threads") << 2 << true << 0;
    }
    void survivesClientsThatResetUnread()
    {
        QFETCH(int, threads);
        QFETCH(bool, http);
        QFETCH(int, payload);
        TestManager manager;
        GracefulTcpServer server(&manager);
        if (http)
            QVERIFY(server.setProtocol(GracefulTcpServer::Protocol::Http1));
        if (threads > 0) {
            QVERIFY(server.serveInThreads(
                threads, [http](QTcpSocket *connection) { serveEchoOrHttp(connection, http); }));
        } else {
            connect(&server, &QTcpServer::newConnection, &server, [&server, http] {
                while (QTcpSocket *connection = server.nextPendingConnection())
                    serveEchoOrHttp(connection, http);
            });
        }
        QVERIFY(server.listen(QHostAddress::LocalHost));

        constexpr int Clients = 300;
        const QByteArray sent =
            http ? QByteArray("GET / HTTP/1.1\r\nHost: canstop\r\n\r\n").repeated(64)
                 : QByteArray(payload, 'x');
        ResetStorm storm(server.serverPort(), sent, Clients);
        storm.start();
        QTRY_COMPARE_WITH_TIMEOUT(storm.done(), Clients, 60000);
        QCOMPARE(storm.failed(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10000));
        client.write(http ? "GET / HTTP/1.1\r\nHost: canstop\r\n\r\n" : "ping");
        QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() >= 4, 10000);
        QVERIFY(client.readAll().startsWith(http ? "HTTP" : "ping"));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // The application cuts every connection of a socket it is done with,
    // then deletes it (Qt WebSockets does so): the drain forgets it all the
    // same, whether it ends at once or at the deadline.
    void socketCutByDisconnectIsForgotten_data()
    {
        QTest::addColumn<bool>("busyOther");
        QTest::newRow("ends at once") << false;
        QTest::newRow("ends at the deadline") << true;
    }
    void socketCutByDisconnectIsForgotten()
    {
        QFETCH(bool, busyOther);
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(1000ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        for (int i = 0; i < 3; ++i) {
            QTcpSocket client;
            QTcpSocket *connection = connectTo(server, client);
            QVERIFY(connection);
            connection->disconnect();
            connection->deleteLater();
            QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 10000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
        QTcpSocket other;
        QTcpSocket *busy = busyOther ? connectTo(server, other) : nullptr;
        if (busyOther) {
            QVERIFY(busy);
            server.markBusy(busy);
            QTest::ignoreMessage(QtWarningMsg,
                                 QRegularExpression(QStringLiteral("deadline: marked busy$")));
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        }
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsAbandoned(), busyOther ? 1 : 0);
    }

    // The application cuts every connection of a socket and serves it on
    // (a hand-over from one handler to another): the guard hears the socket
    // again, so reading never stalls behind output Qt held, and the session
    // ends when the peer closes.
    void socketCutByDisconnectIsStillGuarded()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);
        connection->disconnect();
        connect(connection, &QIODevice::readyRead, connection,
                [connection] { connection->write(connection->readAll()); });

        QByteArray sent(4 * 1024 * 1024, Qt::Uninitialized);
        for (qsizetype i = 0; i < sent.size(); ++i)
            sent[i] = char(i * 7 + i / 4096);
        QByteArray received;
        connect(&client, &QIODevice::readyRead, &client, [&] { received += client.readAll(); });
        client.write(sent);
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), sent.size(), 60000);
        QVERIFY(received == sent);
        QCOMPARE(manager.activeSessions(), 1);
        client.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
    }

    // A newConnection() slot closes the server and opens another listener
    // on the same descriptor number, where a client waits: the server
    // takes nothing of the other's, and emits newConnection() no more;
    // whether Qt's notifier or the drain was accepting.
    void aSlotThatClosesAndReopensIsHeard_data()
    {
        QTest::addColumn<bool>("inTheDrain");
        QTest::newRow("running") << false;
        QTest::newRow("in the drain") << true;
    }
    void aSlotThatClosesAndReopensIsHeard()
    {
        QFETCH(bool, inTheDrain);
        TestManager manager;
        GracefulTcpServer server(&manager);
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpServer other;
        std::unique_ptr<LoopbackClient> othersClient;
        int emitted = 0;
        connect(&server, &QTcpServer::newConnection, &server, [&] {
            if (++emitted > 1)
                return;
            const int descriptor = int(server.socketDescriptor());
            server.close();
            LoopbackListener listener; // the number just freed, most likely
            if (listener.fd != descriptor)
                QVERIFY(::dup2(listener.fd, descriptor) == descriptor);
            else
                listener.fd = -1; // the other server owns it now
            QVERIFY(other.setSocketDescriptor(descriptor));
            othersClient = std::make_unique<LoopbackClient>(listener.port);
            QVERIFY(othersClient->connected);
        });
        LoopbackClient first(server.serverPort()), second(server.serverPort());
        QVERIFY(first.connected && second.connected);
        if (inTheDrain)
            manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(emitted, 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(other.hasPendingConnections(), 10000);
        QCOMPARE(emitted, 1);
        QVERIFY(!server.isListening());
        // The first client went with close() (nobody took it); the other's is not ours.
        QCOMPARE(manager.activeSessions(), 0);
        if (!inTheDrain)
            manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // A newConnection() slot deletes the server while clients wait in the
    // kernel's queue: nothing reads it afterwards (ASan would say so).
    void aSlotThatDeletesTheServer_data() { aSlotThatClosesAndReopensIsHeard_data(); }
    void aSlotThatDeletesTheServer()
    {
        QFETCH(bool, inTheDrain);
        TestManager manager;
        QPointer<GracefulTcpServer> server = new GracefulTcpServer(&manager);
        QVERIFY(server->listen(QHostAddress::LocalHost));
        int emitted = 0;
        connect(server, &QTcpServer::newConnection, server, [&] {
            ++emitted;
            delete server.data();
        });
        LoopbackClient first(server->serverPort()), second(server->serverPort());
        QVERIFY(first.connected && second.connected);
        if (inTheDrain)
            manager.requestShutdown();
        QTRY_VERIFY_WITH_TIMEOUT(server.isNull(), 10000);
        QCOMPARE(emitted, 1);
        if (!inTheDrain)
            manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // Generic code holds a QTcpServer * and calls its listen() (not
    // virtual): the server drains all the same, with a manager it finds
    // itself, and accepts in Qt's place (its pending limit is honoured the
    // graceful way: the kernel's queue waits, nothing is dropped).
    void listenThroughABasePointer()
    {
        TestManager manager;
        GracefulTcpServer server; // follows the application's manager
        QTcpServer *base = &server;
        QVERIFY(base->listen(QHostAddress::LocalHost));
        base->setMaxPendingConnections(1);
        LoopbackClient first(base->serverPort()), second(base->serverPort());
        QVERIFY(first.connected && second.connected);
        QTRY_VERIFY_WITH_TIMEOUT(base->hasPendingConnections(), 10000);
        QCOMPARE(manager.activeSessions(), 1); // the second waits in the kernel's queue
        QVERIFY(base->nextPendingConnection());
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 2, 10000);
        QVERIFY(base->nextPendingConnection());

        manager.requestShutdown();
        QVERIFY(server.isDraining());
        QVERIFY(!base->isListening());
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsDrained(), 2);
    }

    // Listening begun through the base class, and no connection before the
    // shutdown: the server still finds its manager and stops listening.
    void listenThroughABasePointerThenShutDown()
    {
        TestManager manager;
        GracefulTcpServer server;
        QTcpServer *base = &server;
        QVERIFY(base->listen(QHostAddress::LocalHost));
        QTest::qWait(0); // the next turn of the event loop
        manager.requestShutdown();
        QVERIFY(server.isDraining());
        QVERIFY(!base->isListening());
    }

    // A request the HTTP framer cannot read (a transfer coding it does not
    // frame; Qt may still serve it): the connection is busy from then on
    // until its peer closes, so the late response is not lost; at the
    // deadline it is named, never called drained.
    void unframedHttpIsBusyUntilThePeerCloses_data()
    {
        QTest::addColumn<bool>("peerCloses");
        QTest::newRow("the peer closes") << true;
        QTest::newRow("the deadline") << false;
    }
    void unframedHttpIsBusyUntilThePeerCloses()
    {
        QFETCH(bool, peerCloses);
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(2000ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.setProtocol(GracefulTcpServer::Protocol::Http1));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        bool read = false;
        connect(&server, &QTcpServer::newConnection, &server, [&server, &read] {
            while (QTcpSocket *connection = server.nextPendingConnection()) {
                connect(connection, &QIODevice::readyRead, connection, [connection, &read] {
                    read = !connection->readAll().isEmpty();
                    QTimer::singleShot(300ms, connection, [connection] {
                        connection->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    });
                });
            }
        });
        LoopbackClient client(server.serverPort());
        QVERIFY(client.connected);
        const QByteArray request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
        QCOMPARE(::send(client.fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL),
                 request.size());
        QTRY_VERIFY_WITH_TIMEOUT(read, 10000); // the answer is on its way
        manager.requestShutdown();
        RawReceiver received(client.fd);
        QTRY_VERIFY_WITH_TIMEOUT((received.receive(), received.data.endsWith("ok")), 10000);
        if (peerCloses) {
            ::shutdown(client.fd, SHUT_WR);
            QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
            QVERIFY(manager.report().isClean());
            return;
        }
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral(
                              "closed at the shutdown deadline: HTTP it could no longer frame$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
    }

    // In a drain, a client that stops in the middle of a request head
    // (slowloris) is cut once it has sent nothing for a while, and named:
    // it does not hold the shutdown to its deadline.
    void aSlowRequestHeadDoesNotHoldTheDrain_data()
    {
        QTest::addColumn<bool>("trickling");
        QTest::newRow("stalled") << false;
        QTest::newRow("a byte at a time") << true; // slowloris: never quiet for long
    }

    void aSlowRequestHeadDoesNotHoldTheDrain()
    {
        QFETCH(bool, trickling);
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(60000ms));
        GracefulTcpServer server(&manager);
        QVERIFY(server.setProtocol(GracefulTcpServer::Protocol::Http1));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        connect(&server, &QTcpServer::newConnection, &server, [&server] {
            while (QTcpSocket *connection = server.nextPendingConnection())
                connect(connection, &QIODevice::readyRead, connection,
                        [connection] { connection->readAll(); }); // as QHttpServer does
        });
        LoopbackClient client(server.serverPort());
        QVERIFY(client.connected);
        QCOMPARE(::send(client.fd, "GET / HTTP/1.1\r\nHost: ", 23, MSG_NOSIGNAL), 23);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);
        QTimer trickle; // a byte of the host name every 300 ms until the server closes
        connect(&trickle, &QTimer::timeout, &trickle, [&client, &manager, &trickle] {
            if (manager.state() == LifecycleManager::State::Stopped)
                return trickle.stop(); // a byte after the server's close would be reset
            ::send(client.fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        });
        if (trickling)
            trickle.start(300ms);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^connection from 127.0.0.1:\\d+ closed in the drain, its request "
                                 "head too slow: a request half received$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QElapsedTimer clock;
        clock.start();
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 30000);
        QVERIFY2(clock.elapsed() < 30000, QByteArray::number(clock.elapsed())); // not the 60 s
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
        RawReceiver received(client.fd);
        QTRY_VERIFY_WITH_TIMEOUT(received.receive(), 10000);
        QCOMPARE(received.error, 0); // an EOF, no reset
    }

    void badInput()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("maxPendingOutput of 0")));
        QVERIFY(!server.setMaxPendingOutput(0));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("maxPendingOutput of -1")));
        QVERIFY(!server.setMaxPendingOutput(-1));
        QCOMPARE(server.maxPendingOutput(), GracefulTcpServer::DefaultMaxPendingOutput);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("linger of -5 ms")));
        QVERIFY(!server.setLinger(-5ms));
        QCOMPARE(server.linger(), GracefulTcpServer::DefaultLinger);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("maxPendingInput of 0")));
        QVERIFY(!server.setMaxPendingInput(0));
        QCOMPARE(server.maxPendingInput(), GracefulTcpServer::DefaultMaxPendingInput);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("protocol 7 refused")));
        QVERIFY(!server.setProtocol(static_cast<GracefulTcpServer::Protocol>(7)));
        QCOMPARE(server.protocol(), GracefulTcpServer::Protocol::Raw);

        const auto serve = [](QTcpSocket *) {};
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("serveInThreads\\(0\\): expected")));
        QVERIFY(!server.serveInThreads(0, serve));
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral("serveInThreads\\(2\\): no function")));
        QVERIFY(!server.serveInThreads(2, {}));
        QCOMPARE(server.workerThreads(), 0);
        QVERIFY(server.serveInThreads(1, serve));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "serveInThreads\\(2\\) refused: called twice")));
        QVERIFY(!server.serveInThreads(2, serve));
        QCOMPARE(server.workerThreads(), 1);
        GracefulTcpServer listening(&manager);
        QVERIFY(listening.listen(QHostAddress::LocalHost));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "refused: the server is listening already")));
        QVERIFY(!listening.serveInThreads(1, serve));

        QTcpSocket stranger;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markBusy\\(\\): not")));
        server.markBusy(&stranger);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markIdle\\(\\): not")));
        server.markIdle(nullptr);
    }

    // A fast sender and an application that reads slowly: Qt holds at most
    // maxPendingInput() of what was sent, and every byte arrives.
    void readsAheadAtMostMaxPendingInput()
    {
        TestManager manager;
        GracefulTcpServer server(&manager);
        constexpr qint64 Bound = 64 * 1024;
        QVERIFY(server.setMaxPendingInput(Bound));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);

        QByteArray sent(4 * 1024 * 1024, Qt::Uninitialized);
        for (qsizetype i = 0; i < sent.size(); ++i)
            sent[i] = char(i * 7 + i / 4096);
        client.write(sent);
        QByteArray received;
        qint64 mostHeld = 0;
        QTimer reader;
        connect(&reader, &QTimer::timeout, connection, [&] {
            mostHeld = std::max(mostHeld, connection->bytesAvailable());
            received += connection->read(16 * 1024);
        });
        reader.start(1);
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), sent.size(), 60000);
        QVERIFY(received == sent);
        QVERIFY2(mostHeld <= Bound, QByteArray::number(mostHeld));
    }

    // /metrics counts each server by its name, summed over its worker
    // threads: accepted, open, and what its drain closed or cut off.
    void metricsCountEachServer()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(1000ms));
        canstop::HealthProbe probe(&manager);
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        GracefulTcpServer calm(&manager);
        calm.setObjectName(QStringLiteral("calm"));
        QVERIFY(calm.serveInThreads(2, [](QTcpSocket *) {}));
        QVERIFY(calm.listen(QHostAddress::LocalHost));
        GracefulTcpServer busy(&manager);
        QVERIFY(busy.listen(QHostAddress::LocalHost));
        busy.setObjectName(QStringLiteral("busy \"one\"")); // renamed while listening
        QTcpSocket calmClients[3];
        for (QTcpSocket &client : calmClients) {
            client.connectToHost(QHostAddress::LocalHost, calm.serverPort());
            QVERIFY(client.waitForConnected(10000));
        }
        QTcpSocket busyClient;
        QTcpSocket *connection = connectTo(busy, busyClient);
        QVERIFY(connection);
        busy.markBusy(connection);
        // A series as written: the name, the server's label (escaped), an outcome.
        const auto of = [port = probe.serverPort()](const char *name, const char *server,
                                                    const char *outcome = nullptr) {
            QByteArray series = QByteArray(name) + "{server=\"" + server + '"';
            if (outcome)
                series += QByteArray(",outcome=\"") + outcome + '"';
            return scraped(port, series + '}');
        };
        const char *calmName = "calm";
        const char *busyName = "busy \\\"one\\\"";
        QTRY_COMPARE_WITH_TIMEOUT(of("canstop_server_connections_open", calmName), 3.0, 10000);
        QCOMPARE(of("canstop_server_connections_accepted_total", calmName), 3.0);
        QCOMPARE(of("canstop_server_connections_open", busyName), 1.0);
        QCOMPARE(of("canstop_server_connections_busy", busyName), 1.0);
        QCOMPARE(of("canstop_server_connections_busy", calmName), 0.0);
        QCOMPARE(of("canstop_server_draining", calmName), 0.0);
        QCOMPARE(of("canstop_server_drain_connections", calmName, "drained"), -1.0);

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("marked busy$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(of("canstop_server_connections_open", calmName), 0.0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(of("canstop_server_connections_open", busyName), 0.0, 10000);
        QCOMPARE(of("canstop_server_draining", calmName), 1.0);
        QCOMPARE(of("canstop_server_connections_accepted_total", calmName), 3.0);
        QCOMPARE(of("canstop_server_drain_connections", calmName, "drained"), 3.0);
        QCOMPARE(of("canstop_server_drain_connections", calmName, "abandoned"), 0.0);
        QCOMPARE(of("canstop_server_drain_connections", busyName, "drained"), 0.0);
        QCOMPARE(of("canstop_server_drain_connections", busyName, "abandoned"), 1.0);
        QCOMPARE(of("canstop_server_connections_busy", busyName), 0.0);
    }

    // Over HTTP/1.1 a connection is busy in /metrics from the first byte of
    // a request to the last of its response.
    void metricsCountHttpRequestsInProgress()
    {
        TestManager manager;
        canstop::HealthProbe probe(&manager);
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        GracefulTcpServer server(&manager);
        server.setObjectName(QStringLiteral("http"));
        QVERIFY(server.setProtocol(GracefulTcpServer::Protocol::Http1));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);
        const auto busy = [port = probe.serverPort()] {
            return scraped(port, R"(canstop_server_connections_busy{server="http"})");
        };
        QCOMPARE(busy(), 0.0);
        client.write("GET / HTTP/1.1\r\nHost: x\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(busy(), 1.0, 10000); // the head is not even whole
        client.write("\r\n");
        QByteArray request;
        QTRY_VERIFY_WITH_TIMEOUT((request += connection->readAll()).endsWith("\r\n\r\n"), 10000);
        QCOMPARE(busy(), 1.0); // unanswered
        connection->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        QCOMPARE(busy(), 1.0); // half the response
        connection->write("ok");
        QCOMPARE(busy(), 0.0);
        QByteArray response;
        QTRY_VERIFY2_WITH_TIMEOUT((response += client.readAll()).endsWith("\r\n\r\nok"),
                                  response.constData(), 10000);
    }

    void withoutAManagerItIsAPlainServer()
    {
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("without a LifecycleManager")));
        GracefulTcpServer server(static_cast<LifecycleManager *>(nullptr));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        QTcpSocket *connection = connectTo(server, client);
        QVERIFY(connection);
        connection->write("hello");
        QTRY_COMPARE_WITH_TIMEOUT(client.bytesAvailable(), qint64(5), 10000);
    }
};

CANSTOP_TEST_MAIN(TestGracefulTcpServer)
#include "tst_gracefultcpserver.moc"
