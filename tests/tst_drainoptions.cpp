// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// DrainOptions: one value, its refusals, and the same face on every server,
// through a base-class pointer too.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/drainoptions.h>
#include <canstop/gracefullocalserver.h>
#include <canstop/gracefultcpserver.h>
#include <canstop/gracefulwebsocketserver.h>

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <memory>

using canstop::DrainOptions;
using canstop::GracefulLocalServer;
using canstop::GracefulTcpServer;
using canstop::GracefulWebSocketServer;
using namespace std::chrono_literals;

class TestDrainOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void defaultsAndCopies()
    {
        const DrainOptions defaults;
        QCOMPARE(defaults.maxPendingOutput(), DrainOptions::DefaultMaxPendingOutput);
        QCOMPARE(defaults.maxPendingInput(), DrainOptions::DefaultMaxPendingInput);
        QCOMPARE(defaults.idleGrace(), 250ms);
        QCOMPARE(defaults.linger(), 1000ms);
        QVERIFY(!defaults.awaitsPeerClose());
        QCOMPARE(defaults.protocol(), DrainOptions::Protocol::Raw);

        DrainOptions changed = defaults;
        QCOMPARE(changed, defaults);
        QVERIFY(changed.setLinger(2s));
        QVERIFY(changed.setIdleGrace(0ms));
        changed.setAwaitPeerClose(true);
        QVERIFY(changed.setProtocol(DrainOptions::Protocol::Http1));
        QVERIFY(changed != defaults);
        QCOMPARE(defaults.linger(), 1000ms); // the copy it came from is untouched
        DrainOptions same;
        QVERIFY(same.setLinger(2s));
        QVERIFY(same.setIdleGrace(0ms));
        same.setAwaitPeerClose(true);
        QVERIFY(same.setProtocol(DrainOptions::Protocol::Http1));
        QCOMPARE(same, changed);
    }

    void badValuesAreRefusedAndKeepTheOld()
    {
        DrainOptions options;
        const auto refused = [](const char *pattern) {
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QString::fromLatin1(pattern)));
        };
        refused("^maxPendingOutput of 0 refused: it must be between 1 and 2147483647$");
        QVERIFY(!options.setMaxPendingOutput(0));
        refused("^maxPendingInput of 2147483648 refused");
        QVERIFY(!options.setMaxPendingInput(qint64(1) << 31));
        refused("^idle grace of -1 ms refused");
        QVERIFY(!options.setIdleGrace(-1ms));
        refused("^linger of -5 ms refused: it must not be negative$");
        QVERIFY(!options.setLinger(-5ms));
        refused("^protocol 7 refused: not a DrainOptions::Protocol$");
        QVERIFY(!options.setProtocol(static_cast<DrainOptions::Protocol>(7)));
        QCOMPARE(options, DrainOptions());
    }

    // The same options on every server; each refuses what it cannot use.
    void everyServerTakesThem()
    {
        TestManager manager;
        DrainOptions options;
        QVERIFY(options.setIdleGrace(100ms));
        QVERIFY(options.setMaxPendingInput(4096));

        GracefulTcpServer tcp(&manager);
        QVERIFY(tcp.setDrainOptions(options));
        QCOMPARE(tcp.drainOptions(), options);
        QCOMPARE(tcp.idleGrace(), 100ms); // the shorthands read the same value
        QVERIFY(tcp.setLinger(3s));
        QCOMPARE(tcp.drainOptions().linger(), 3s);

        GracefulLocalServer local(&manager);
        QVERIFY(local.setDrainOptions(options));
        QCOMPARE(local.drainOptions(), options);
        DrainOptions http = options;
        QVERIFY(http.setProtocol(DrainOptions::Protocol::Http1));
        QTest::ignoreMessage(QtWarningMsg,
                             "GracefulLocalServer::setDrainOptions(): refused: Protocol::Http1 "
                             "needs a TCP socket");
        QVERIFY(!local.setDrainOptions(http));
        QCOMPARE(local.drainOptions(), options);

        GracefulWebSocketServer webSocket(&manager, QStringLiteral("test"));
        QVERIFY(webSocket.setDrainOptions(options));
        QCOMPARE(webSocket.drainOptions().idleGrace(), 100ms);
        QVERIFY(webSocket.drainOptions().awaitsPeerClose()); // its closing handshake
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^GracefulWebSocketServer::setDrainOptions\\(\\): "
                                               "refused")));
        QVERIFY(!webSocket.setDrainOptions(http));
    }

    // Every server says when its drain begins, the same way.
    void everyServerSaysWhenItDrains()
    {
        TestManager manager;
        GracefulTcpServer tcp(&manager);
        GracefulLocalServer local(&manager);
        GracefulWebSocketServer webSocket(&manager, QStringLiteral("test"));
        QSignalSpy tcpDrains(&tcp, &GracefulTcpServer::drainingStarted);
        QSignalSpy localDrains(&local, &GracefulLocalServer::drainingStarted);
        QSignalSpy webSocketDrains(&webSocket, &GracefulWebSocketServer::drainingStarted);
        QVERIFY(!tcp.isDraining() && !local.isDraining() && !webSocket.isDraining());
        QVERIFY(!webSocket.property("draining").toBool());
        manager.requestShutdown();
        QCOMPARE(tcpDrains.count(), 1);
        QCOMPARE(localDrains.count(), 1);
        QCOMPARE(webSocketDrains.count(), 1);
        QVERIFY(tcp.isDraining() && local.isDraining() && webSocket.isDraining());
        QVERIFY(webSocket.property("draining").toBool());
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), canstop::LifecycleManager::State::Stopped,
                                  10000);
    }

    // Generic code holds a QWebSocketServer * and calls its listen() (not
    // virtual): the graceful server takes the listener over, so its
    // WebSockets are sessions and its drain stops listening.
    void aWebSocketServerListeningThroughItsBase()
    {
        TestManager manager;
        GracefulWebSocketServer server(&manager, QStringLiteral("test"));
        QWebSocketServer *base = &server;
        QVERIFY(base->listen(QHostAddress::LocalHost));
        const quint16 port = base->serverPort();
        QTRY_VERIFY_WITH_TIMEOUT(server.isListening(), 10000);
        QCOMPARE(server.serverPort(), port);
        QVERIFY(!base->isListening()); // Qt's own listener, handed over

        QWebSocket client;
        QSignalSpy closed(&client, &QWebSocket::disconnected);
        client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(port)));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        const std::unique_ptr<QWebSocket> accepted(
            server.nextPendingConnection()); // ours to delete
        QVERIFY(accepted);
        QCOMPARE(manager.activeSessions(), 1);

        manager.requestShutdown();
        QVERIFY(!server.isListening());
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QCOMPARE(client.closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), canstop::LifecycleManager::State::Stopped,
                                  10000);
        QVERIFY(manager.report().isClean());
        QTcpSocket late;
        late.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!late.waitForConnected(5000)); // refused: nobody listens
    }
};

CANSTOP_TEST_MAIN(TestDrainOptions)
#include "tst_drainoptions.moc"
