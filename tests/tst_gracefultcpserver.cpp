// GracefulTcpServer in process: request boundaries marked by the
// application, and bad input.
#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

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

} // namespace

class TestGracefulTcpServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void markedBusyConnectionWaitsForMarkIdle()
    {
        LifecycleManager manager;
        manager.setAutoExit(false);
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
        LifecycleManager manager;
        manager.setAutoExit(false);
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
        // linger to end in time (3000 - 200 - 100 ms), and the drain is clean.
        QSignalSpy closed(&client, &QTcpSocket::disconnected);
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QVERIFY2(clock.elapsed() >= 2500, QByteArray::number(clock.elapsed()));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    void badInput()
    {
        LifecycleManager manager;
        manager.setAutoExit(false);
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

        QTcpSocket stranger;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markBusy\\(\\): not")));
        server.markBusy(&stranger);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markIdle\\(\\): not")));
        server.markIdle(nullptr);
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

QTEST_GUILESS_MAIN(TestGracefulTcpServer)
#include "tst_gracefultcpserver.moc"
