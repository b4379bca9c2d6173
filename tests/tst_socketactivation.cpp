// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Socket activation: canstop-echo (and canstop-local-echo) on a listening
// socket passed the way systemd passes it, by Debian's
// systemd-socket-activate and by this test, which holds the socket across
// restarts as systemd holds a .socket unit's.
#include "common/childprocess.h"
#include "common/loopback.h"
#include "common/notifyreceiver.h"
#include "common/requestload.h"
#include "common/testmain.h"

#include <QFileInfo>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
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

QString localEchoPath()
{
    return QString::fromLocal8Bit(qgetenv("CANSTOP_LOCAL_ECHO"));
}

// canstop-local-echo started as ActivatedEcho, on a local socket, or by
// itself with `arguments`.
ChildProcess *startLocalEcho(int listener, const QProcessEnvironment &environment,
                             const QStringList &arguments = {})
{
    if (listener < 0)
        return new ChildProcess(localEchoPath(), arguments, environment);
    return new ChildProcess(QStringLiteral("/bin/sh"),
                            QStringList{QStringLiteral("-c"),
                                        QStringLiteral("LISTEN_PID=$$ exec \"$0\" \"$@\""),
                                        localEchoPath()} +
                                arguments,
                            environment, atFd3(listener));
}

// A listening local socket at `path`, as a .socket unit's ListenStream=.
int localListener(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray file = QFile::encodeName(path);
    std::memcpy(address.sun_path, file.constData(), size_t(file.size()));
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 ||
        ::listen(fd, 16) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// A client that connects to `path` and sends `line`; whether it is echoed
// within `timeoutMs`.
bool echoed(QLocalSocket &client, const QByteArray &line, int timeoutMs = 20000)
{
    QByteArray reply;
    const QDeadlineTimer deadline(timeoutMs);
    while (reply.size() < line.size() && client.waitForReadyRead(int(deadline.remainingTime())))
        reply += client.readAll();
    return reply == line;
}

// The test of the local socket's restarts: `first` serves on the socket at
// `path` and is stopped; a client that connects meanwhile waits in the
// kernel's queue, as the file stays; `next()` starts the next instance,
// which serves it.
void localRestartLosesNoClient(ChildProcess &first, const QString &path,
                               const std::function<ChildProcess *()> &next)
{
    QVERIFY2(first.waitForOutput("listening on " + QFile::encodeName(path)),
             first.stdErr().constData());
    QLocalSocket served;
    served.connectToServer(path);
    QVERIFY(served.waitForConnected(10000));
    served.write("first\n");
    QVERIFY(echoed(served, "first\n"));
    first.signal(SIGTERM);
    QCOMPARE(first.waitForExit(20000), 0);
    QVERIFY2(first.stdErr().contains("the kernel's queue stays on the passed local socket"),
             first.stdErr().constData());
    QVERIFY(QFileInfo::exists(path)); // not removed: no client finds the server gone

    QLocalSocket queued; // while no instance runs
    queued.connectToServer(path);
    QVERIFY2(queued.waitForConnected(10000), qPrintable(queued.errorString()));
    queued.write("queued\n");
    QVERIFY(queued.waitForBytesWritten(10000));
    const std::unique_ptr<ChildProcess> second(next());
    QVERIFY2(echoed(queued, "queued\n"), second->stdErr().constData());
    second->signal(SIGTERM);
    QCOMPARE(second->waitForExit(20000), 0);
    QVERIFY(QFileInfo::exists(path));
}

// Restarts canstop-echo on `listener` 20 times (5 under a sanitizer, where
// every start is several times slower) while `load` runs, each instance
// serving short and long-lived clients before its SIGTERM, then checks that
// no request was refused, reset or lost.
void restartUnderLoad(int listener, RequestLoad &load, const QProcessEnvironment &environment)
{
#ifdef CANSTOP_SANITIZED
    constexpr int Restarts = 5;
#else
    constexpr int Restarts = 20;
#endif
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
    void initTestCase()
    {
        QVERIFY(!echoPath().isEmpty());
        QVERIFY(!localEchoPath().isEmpty());
    }

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

    void localSocketFromSystemdSocketActivate()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.socket"));
        ChildProcess activator(QStringLiteral("systemd-socket-activate"),
                               {QStringLiteral("-l"), path, QStringLiteral("--fdname=local-echo"),
                                localEchoPath(), dir.filePath(QStringLiteral("unused"))});
        QVERIFY2(activator.waitForOutput("Listening on"), activator.stdErr().constData());
        QLocalSocket client;
        client.connectToServer(path);
        QVERIFY(client.waitForConnected(10000));
        client.write("hello, activated\n");
        QVERIFY2(echoed(client, "hello, activated\n"), activator.stdErr().constData());
        QVERIFY(activator.waitForOutput("listening on " + QFile::encodeName(path)));
        activator.signal(SIGTERM); // it exec'd: the same pid
        QCOMPARE(activator.waitForExit(20000), 0);
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("unused"))));
    }

    void localRestartsKeepTheSocketAndItsQueue()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.socket"));
        const int listener = localListener(path);
        QVERIFY(listener >= 0);
        const auto closeListener = qScopeGuard([listener] { ::close(listener); });
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("1"));
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QStringLiteral("local-echo"));
        const std::unique_ptr<ChildProcess> first(startLocalEcho(listener, environment));
        localRestartLosesNoClient(*first, path,
                                  [&] { return startLocalEcho(listener, environment); });
    }

    void localRestartsThroughTheFdStore()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.socket"));
        NotifyReceiver systemd;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("NOTIFY_SOCKET"),
                           QString::fromLocal8Bit(systemd.address()));
        environment.insert(QStringLiteral("FDSTORE"), QStringLiteral("1"));
        const std::unique_ptr<ChildProcess> first(
            startLocalEcho(-1, environment, {QStringLiteral("--fd-store"), path}));
        const auto stored = systemd.waitFor("FDSTORE=1");
        QVERIFY2(stored, first->stdErr().constData());
        QCOMPARE(stored->value("FDNAME"), QByteArray("local-echo"));
        QCOMPARE(stored->fds.size(), 1);
        const int fd = stored->fds.first();
        const auto closeStored = qScopeGuard([fd] { ::close(fd); });
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("1"));
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QStringLiteral("local-echo"));
        localRestartLosesNoClient(*first, path, [&] {
            return startLocalEcho(fd, environment, {QStringLiteral("--fd-store"), path});
        });
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

CANSTOP_TEST_MAIN(TestSocketActivation)
#include "tst_socketactivation.moc"
