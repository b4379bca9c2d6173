// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Socket activation: canstop-echo on a listening socket passed the way
// systemd passes it, by Debian's systemd-socket-activate and by this test,
// which holds the socket across restarts as systemd holds a .socket unit's.
#include "common/childprocess.h"
#include "common/loopback.h"
#include "common/notifyreceiver.h"
#include "common/requestload.h"

#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

QString echoPath()
{
    return QString::fromLocal8Bit(qgetenv("CANSTOP_ECHO"));
}

// canstop-echo started as systemd starts a socket-activated service: the
// socket at fd 3, and LISTEN_PID the pid that execs the program.
class ActivatedEcho : public ChildProcess
{
public:
    explicit ActivatedEcho(int listener, const QProcessEnvironment &environment = defaults(),
                           bool ownPid = true)
        : ChildProcess(QStringLiteral("/bin/sh"),
                       {QStringLiteral("-c"),
                        (ownPid ? QStringLiteral("LISTEN_PID=$$ ") : QString()) +
                            QStringLiteral("exec \"$0\" \"$@\""),
                        echoPath(), QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--shutdown-timeout"), QStringLiteral("10000")},
                       environment, atFd3(listener))
    {}

    static QProcessEnvironment defaults()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("1"));
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QStringLiteral("echo"));
        return environment;
    }
};

// Restarts canstop-echo on `listener` 20 times while `load` runs, each
// instance serving short and long-lived clients before its SIGTERM, then
// checks that no request was refused, reset or lost.
void restartUnderLoad(int listener, RequestLoad &load, const QProcessEnvironment &environment)
{
    constexpr int Restarts = 20;
    const int before = load.echoed;
    for (int i = 0; i < Restarts; ++i) {
        ActivatedEcho echo(listener, environment);
        QVERIFY(echo.waitForPort() != 0);
        const int served = load.echoed;
        const int servedLongLived = load.longLivedEchoed;
        QTRY_VERIFY_WITH_TIMEOUT(
            load.echoed >= served + 10 && load.longLivedEchoed > servedLongLived, 20000);
        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0);
        QVERIFY2(echo.stdErr().contains("the kernel's queue stays on the passed socket"),
                 echo.stdErr().constData());
    }
    // One more instance serves whoever queued after the last restart.
    ActivatedEcho last(listener, environment);
    QVERIFY(last.waitForPort() != 0);
    load.stop();
    last.signal(SIGTERM);
    QCOMPARE(last.waitForExit(20000), 0);

    qInfo("%d requests echoed through %d restarts; %d long-lived connections closed between "
          "requests",
          load.echoed - before, Restarts, int(load.reconnected));
    QVERIFY(load.echoed >= before + Restarts * 10);
    QCOMPARE(int(load.refused), 0);
    QCOMPARE(int(load.reset), 0);
    QCOMPARE(int(load.lost), 0);
    // Every drain closed a long-lived connection between two requests.
    QVERIFY2(load.reconnected >= Restarts, QByteArray::number(int(load.reconnected)).constData());
}

} // namespace

class TestSocketActivation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(!echoPath().isEmpty()); }

    void servesOnTheSocketSystemdSocketActivatePasses()
    {
        // systemd-socket-activate wants a fixed port: one just free, tried
        // again if another test takes it first.
        for (int attempt = 0; attempt < 5; ++attempt) {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            const quint16 port = probe.serverPort();
            probe.close();
            ChildProcess activator(QStringLiteral("systemd-socket-activate"),
                                   {QStringLiteral("-l"), QStringLiteral("127.0.0.1:%1").arg(port),
                                    QStringLiteral("--fdname=echo"), echoPath(),
                                    QStringLiteral("--port"), QStringLiteral("1")});
            if (!activator.waitForOutput("Listening on"))
                continue; // the port was taken in between
            // It starts the program on the first connection, on its socket.
            QTcpSocket client;
            client.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(client.waitForConnected(10000));
            client.write("hello, activated\n");
            QByteArray reply;
            QDeadlineTimer deadline(20000);
            while (reply.size() < 17 && client.waitForReadyRead(int(deadline.remainingTime())))
                reply += client.readAll();
            QCOMPARE(reply, QByteArray("hello, activated\n"));
            QVERIFY(activator.waitForOutput("using the socket passed by the service manager"));
            client.disconnectFromHost();
            activator.signal(SIGTERM); // it exec'd: the same pid
            QCOMPARE(activator.waitForExit(20000), 0);
            return;
        }
        QFAIL("systemd-socket-activate never listened");
    }

    void restartsRefuseNoConnection()
    {
        LoopbackListener listener;
        QVERIFY(listener.port != 0);
        RequestLoad load(listener.port, 2, 4);
        restartUnderLoad(listener.fd, load, ActivatedEcho::defaults());
    }

    void restartsThroughTheFdStoreRefuseNoConnection()
    {
        // No .socket unit: the first instance listens by itself and hands its
        // socket to the store (here the test, as systemd), which passes it to
        // every later start.
        NotifyReceiver systemd;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("NOTIFY_SOCKET"),
                           QString::fromLocal8Bit(systemd.address()));
        environment.insert(QStringLiteral("FDSTORE"), QStringLiteral("1"));
        ChildProcess first(echoPath(),
                           {QStringLiteral("--port"), QStringLiteral("0"),
                            QStringLiteral("--shutdown-timeout"), QStringLiteral("10000"),
                            QStringLiteral("--fd-store")},
                           environment);
        const auto stored = systemd.waitFor("FDSTORE=1");
        QVERIFY2(stored, first.stdErr().constData());
        QCOMPARE(stored->value("FDNAME"), QByteArray("echo"));
        QCOMPARE(stored->fds.size(), 1);
        const int fd = stored->fds.first();
        const auto closeStored = qScopeGuard([fd] { ::close(fd); });
        sockaddr_in address{};
        socklen_t length = sizeof address;
        QVERIFY(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);

        RequestLoad load(ntohs(address.sin_port), 2, 4);
        QTRY_VERIFY_WITH_TIMEOUT(load.echoed >= 10, 20000);
        first.signal(SIGTERM);
        QCOMPARE(first.waitForExit(20000), 0);
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("1"));
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QStringLiteral("echo"));
        restartUnderLoad(fd, load, environment);
        systemd.collect();
        QCOMPARE(systemd.count("FDSTORE=1"), 1); // an inherited socket is not stored twice
    }

    void garbledVariablesAreNamedOnce_data()
    {
        QTest::addColumn<QStringList>("variables"); // NAME=value, over LISTEN_FDS=1 and the name
        QTest::addColumn<bool>("ownPid");
        QTest::addColumn<bool>("notASocket");
        QTest::addColumn<QByteArray>("warning");
        QTest::addColumn<bool>("inherits");
        const QByteArray pid = "is not this process";
        QTest::newRow("LISTEN_PID another")
            << QStringList{"LISTEN_PID=1"} << false << false << pid << false;
        QTest::newRow("LISTEN_PID text")
            << QStringList{"LISTEN_PID=me"} << false << false << pid << false;
        const QByteArray count = "is not a count of passed sockets";
        QTest::newRow("LISTEN_FDS text")
            << QStringList{"LISTEN_FDS=one"} << true << false << count << false;
        QTest::newRow("LISTEN_FDS negative")
            << QStringList{"LISTEN_FDS=-1"} << true << false << count << false;
        QTest::newRow("LISTEN_FDS huge")
            << QStringList{"LISTEN_FDS=99999999999"} << true << false << count << false;
        QTest::newRow("LISTEN_FDS empty")
            << QStringList{"LISTEN_FDS="} << true << false << count << false;
        QTest::newRow("LISTEN_FDS too many")
            << QStringList{"LISTEN_FDS=64", "LISTEN_FDNAMES="} << true << false
            << QByteArray("of those descriptors were not open when the program started") << true;
        QTest::newRow("LISTEN_FDNAMES one too many")
            << QStringList{"LISTEN_FDNAMES=echo:spare"} << true << false
            << QByteArray("does not name 1 socket(s)") << true;
        QTest::newRow("not a socket") << QStringList{} << true << true
                                      << QByteArray("is not a listening TCP socket") << false;
    }

    // LISTEN_FDS counts more than was passed, and the program opens a
    // listener of its own before it asks for an inherited one: that one is
    // not taken for the service manager's.
    void aListenerOpenedSinceStartIsNotTaken()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("16"));
        ChildProcess helper(QStringLiteral("/bin/sh"),
                            {QStringLiteral("-c"),
                             QStringLiteral("LISTEN_PID=$$ exec \"$0\" \"$@\""),
                             QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")),
                             QStringLiteral("adopt"), QStringLiteral("10000")},
                            environment);
        QVERIFY2(helper.waitForOutput("inherited"), helper.stdErr().constData());
        QVERIFY2(helper.stdOut().contains("inherited no"), helper.stdOut().constData());
        QVERIFY2(QRegularExpression(QStringLiteral("LISTEN_FDS=16, but \\d+ of those descriptors "
                                                   "were not open when the program started"))
                     .match(QString::fromLocal8Bit(helper.stdErr()))
                     .hasMatch(),
                 helper.stdErr().constData());
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(20000), 0);
    }

    void garbledVariablesAreNamedOnce()
    {
        QFETCH(QStringList, variables);
        QFETCH(bool, ownPid);
        QFETCH(bool, notASocket);
        QFETCH(QByteArray, warning);
        QFETCH(bool, inherits);
        LoopbackListener listener;
        QFile devNull(QStringLiteral("/dev/null"));
        QVERIFY(devNull.open(QIODevice::ReadOnly));
        QProcessEnvironment environment = ActivatedEcho::defaults();
        for (const QString &variable : variables)
            environment.insert(variable.section(QLatin1Char('='), 0, 0),
                               variable.section(QLatin1Char('='), 1));
        ActivatedEcho echo(notASocket ? devNull.handle() : listener.fd, environment, ownPid);
        const quint16 port = echo.waitForPort();
        QVERIFY2(port != 0, echo.stdErr().constData()); // it runs all the same
        QCOMPARE(port == listener.port, inherits);
        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0);
        const QByteArray err = echo.stdErr();
        QVERIFY2(err.count(warning) == 1, err.constData());
        QVERIFY2(err.count("canstop.network: ") == 1 + 1, err.constData()); // and the drain's
    }
};

QTEST_GUILESS_MAIN(TestSocketActivation)
#include "tst_socketactivation.moc"
