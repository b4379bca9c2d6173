// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// systemd's notify protocol, spoken by whole programs (canstop-echo and the
// test helper) to a receiver that first proves it hears systemd's own
// systemd-notify as systemd would.
#include "common/childprocess.h"
#include "common/notifyreceiver.h"
#include "common/testmain.h"

#include <canstop/lifecyclemanager.h>

#include <QFile>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>

namespace {

QProcessEnvironment environmentWith(const QList<QPair<QString, QString>> &variables)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const auto &[name, value] : variables)
        environment.insert(name, value);
    return environment;
}

class Echo : public ChildProcess
{
public:
    Echo(const QProcessEnvironment &environment, int shutdownTimeoutMs = 10000)
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_ECHO")),
                       {QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--shutdown-timeout"), QString::number(shutdownTimeoutMs)},
                       environment)
    {}
};

class Helper : public ChildProcess
{
public:
    Helper(const QString &mode, int timeoutMs, const QProcessEnvironment &environment)
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")),
                       {mode, QString::number(timeoutMs)}, environment)
    {}
};

} // namespace

class TestSystemd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_ECHO").isEmpty());
        QVERIFY(!qgetenv("CANSTOP_TEST_HELPER").isEmpty());
    }

    void receiverHearsSystemdNotify_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("path") << int(NotifyReceiver::Path);
        QTest::newRow("abstract") << int(NotifyReceiver::Abstract);
    }

    void receiverHearsSystemdNotify()
    {
        QFETCH(int, kind);
        NotifyReceiver receiver{NotifyReceiver::Kind(kind)};
        QVERIFY(receiver.isBound());
        QProcess notify;
        notify.setProcessEnvironment(environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())}}));
        notify.start(QStringLiteral("systemd-notify"),
                     {QStringLiteral("--ready"), QStringLiteral("--status=checked by canstop")});
        QVERIFY2(notify.waitForStarted(), "systemd-notify (Debian package systemd) is missing");
        const auto ready = receiver.waitFor("READY=1");
        QVERIFY(ready);
        QCOMPARE(ready->value("STATUS"), QByteArray("checked by canstop"));
        // As root, systemd-notify speaks for its parent, as systemd expects.
        QVERIFY2(ready->pid == QCoreApplication::applicationPid() ||
                     ready->pid == notify.processId(),
                 QByteArray::number(ready->pid).constData());
        // Its BARRIER=1 succeeds only once the receiver has closed the fd
        // that came with it.
        const QDeadlineTimer deadline(20000);
        while (!notify.waitForFinished(10) && !deadline.hasExpired())
            receiver.collect();
        QCOMPARE(receiver.count("BARRIER=1"), 1);
        QCOMPARE(notify.exitCode(), 0);
    }

    void echoTellsSystemdItsLifecycle_data() { receiverHearsSystemdNotify_data(); }

    void echoTellsSystemdItsLifecycle()
    {
        QFETCH(int, kind);
        NotifyReceiver receiver{NotifyReceiver::Kind(kind)};
        QVERIFY(receiver.isBound());
        Echo echo(environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())}}));
        const quint16 port = echo.waitForPort();
        QVERIFY(port != 0);

        const auto ready = receiver.waitFor("READY=1");
        QVERIFY2(ready, echo.stdErr().constData());
        QCOMPARE(ready->pid, echo.processId());
        QVERIFY2(ready->value("STATUS").startsWith("running: "), ready->text.constData());
        // Ready means listening.
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(client.waitForConnected(10000));

        // A reload: RELOADING=1 on CLOCK_MONOTONIC (systemd's notify-reload
        // ignores it otherwise), then READY=1 once the slots have run.
        const qint64 before = monotonicUs();
        echo.signal(SIGHUP);
        const auto reloading = receiver.waitFor("RELOADING=1");
        QVERIFY(reloading);
        const qint64 stamp = reloading->value("MONOTONIC_USEC").toLongLong();
        QVERIFY2(stamp >= before - 1000000 && stamp <= reloading->receivedUs + 1000000,
                 reloading->text.constData());
        QVERIFY(receiver.waitFor("READY=1"));

        echo.signal(SIGTERM);
        const auto stopping = receiver.waitFor("STOPPING=1");
        QVERIFY(stopping);
        QVERIFY2(stopping->value("STATUS").startsWith("stopping (SIGTERM)"),
                 stopping->text.constData());
        client.disconnectFromHost();
        QCOMPARE(echo.waitForExit(20000), 0);
        receiver.collect();
        QCOMPARE(receiver.count("STOPPING=1"), 1);
        QVERIFY(!receiver.waitFor("READY=1", 0)); // never ready again
        const QByteArray last = receiver.messages().constLast().value("STATUS");
        QVERIFY2(last.contains("finished"), last.constData());
    }

    void nothingIsSentWithoutNotifySocket()
    {
        // The helper says what it sees after useSystemd(): unset, and sent
        // nowhere; with a socket, the variable is gone for its children.
        Helper plain(QStringLiteral("term"), 10000, QProcessEnvironment::systemEnvironment());
        QVERIFY(plain.waitForOutput("ready"));
        QVERIFY(plain.stdOut().contains("NOTIFY_SOCKET=\n"));

        NotifyReceiver receiver;
        Helper notified(QStringLiteral("term"), 10000,
                        environmentWith({{QStringLiteral("NOTIFY_SOCKET"),
                                          QString::fromLocal8Bit(receiver.address())}}));
        QVERIFY(notified.waitForOutput("ready"));
        QVERIFY2(notified.stdOut().contains("NOTIFY_SOCKET=\n"), notified.stdOut().constData());
        QVERIFY(receiver.waitFor("READY=1"));
    }

    void watchdogPingsAtHalfTheIntervalUntilTheLoopStalls()
    {
        NotifyReceiver receiver;
        // The "busy" helper blocks its main thread once the shutdown begins.
        QProcessEnvironment environment = environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())},
             {QStringLiteral("WATCHDOG_USEC"), QStringLiteral("400000")}});
        environment.remove(QStringLiteral("WATCHDOG_PID"));
        Helper helper(QStringLiteral("busy"), 600000, environment);
        QVERIFY(helper.waitForOutput("ready"));
        QList<qint64> pings;
        while (pings.size() < 11) {
            const auto ping = receiver.waitFor("WATCHDOG=1", 10000);
            QVERIFY(ping);
            pings.append(ping->receivedUs);
        }
        QList<qint64> gaps;
        for (int i = 1; i < pings.size(); ++i)
            gaps.append(pings.at(i) - pings.at(i - 1));
        std::sort(gaps.begin(), gaps.end());
        const qint64 median = gaps.at(gaps.size() / 2);
        QVERIFY2(median >= 180000 && median <= 220000, QByteArray::number(median).constData());

        helper.signal(SIGINT); // the main thread now blocks: the pings must stop
        QVERIFY(receiver.waitFor("STOPPING=1"));
        receiver.collect();
        QVERIFY(!receiver.waitFor("WATCHDOG=1", 2000)); // ten intervals without one
    }

    // Nobody listens on the notify socket: one warning on one line, not
    // one per watchdog ping.
    void anUnreachableNotifySocketIsSaidOnce()
    {
        QProcessEnvironment environment = environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QStringLiteral("/tmp/canstop-nobody-%1.sock")
                                                   .arg(QCoreApplication::applicationPid())},
             {QStringLiteral("WATCHDOG_USEC"), QStringLiteral("20000")}});
        environment.remove(QStringLiteral("WATCHDOG_PID"));
        Helper helper(QStringLiteral("term"), 10000, environment);
        QVERIFY(helper.waitForOutput("ready"));
        QVERIFY(helper.waitForOutput("cannot notify systemd"));
        QTRY_VERIFY(helper.elapsedSinceOutput() > 500); // 50 pings lost meanwhile
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(20000), 0);
        const QByteArray err = helper.stdErr();
        QCOMPARE(err.count("cannot notify systemd"), 1);
        const QByteArray line = err.mid(err.indexOf("cannot notify systemd")).split('\n').first();
        QVERIFY2(line.startsWith("cannot notify systemd (READY=1): "), line.constData());
        QVERIFY(line.endsWith("counted, not logged"));
    }

    void watchdogPingsThroughTheDrain()
    {
        NotifyReceiver receiver;
        QProcessEnvironment environment = environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())},
             {QStringLiteral("WATCHDOG_USEC"), QStringLiteral("200000")}});
        environment.remove(QStringLiteral("WATCHDOG_PID"));
        // A session held past the 3 s deadline: the drain lasts that long.
        Helper helper(QStringLiteral("hold"), 3000, environment);
        QVERIFY(receiver.waitFor("READY=1"));
        helper.signal(SIGTERM);
        QVERIFY(receiver.waitFor("STOPPING=1"));
        for (int i = 0; i < 5; ++i)
            QVERIFY2(receiver.waitFor("WATCHDOG=1", 2000), "no ping during the drain");
        QCOMPARE(helper.waitForExit(20000), 1);
    }

    void watchdogOnlyForItsPid()
    {
        NotifyReceiver receiver;
        Helper helper(QStringLiteral("term"), 10000,
                      environmentWith({{QStringLiteral("NOTIFY_SOCKET"),
                                        QString::fromLocal8Bit(receiver.address())},
                                       {QStringLiteral("WATCHDOG_USEC"), QStringLiteral("20000")},
                                       {QStringLiteral("WATCHDOG_PID"), QStringLiteral("1")}}));
        QVERIFY(receiver.waitFor("READY=1"));
        QVERIFY(helper.waitForOutput("WATCHDOG_PID=1 is another process"));
        QVERIFY(!receiver.waitFor("WATCHDOG=1", 500)); // 50 intervals
    }

    void stopTimeoutIsExtendedOnlyWhileTheDrainMoves()
    {
        NotifyReceiver receiver;
        const QProcessEnvironment environment = environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())}});
        {
            // Two sessions end during the drain, then nothing moves.
            Helper helper(QStringLiteral("trickle"), 5000, environment);
            QVERIFY(receiver.waitFor("READY=1"));
            helper.signal(SIGTERM);
            QCOMPARE(helper.waitForExit(20000), 1);
            receiver.collect();
        }
        QList<NotifyMessage> extensions;
        qint64 stopping = 0;
        for (const NotifyMessage &message : receiver.messages()) {
            if (message.has("STOPPING=1"))
                stopping = message.receivedUs;
            if (!message.value("EXTEND_TIMEOUT_USEC").isEmpty())
                extensions.append(message);
        }
        QVERIFY(stopping > 0);
        QVERIFY(!extensions.isEmpty());
        for (const NotifyMessage &extension : extensions) {
            const qint64 usec = extension.value("EXTEND_TIMEOUT_USEC").toLongLong();
            QVERIFY2(usec > 0 && usec <= 3000000, extension.text.constData());
            // Never past the deadline (5 s after STOPPING=1).
            QVERIFY(extension.receivedUs + usec <= stopping + 5000000 + 100000);
        }
        // The last session ended 1.5 s in; the drain then stalled for 3.5 s.
        QVERIFY(extensions.constLast().receivedUs - stopping < 3500000);

        // A drain that never moves gets no extension at all.
        NotifyReceiver stuckReceiver;
        Helper stuck(QStringLiteral("hold"), 2500,
                     environmentWith({{QStringLiteral("NOTIFY_SOCKET"),
                                       QString::fromLocal8Bit(stuckReceiver.address())}}));
        QVERIFY(stuckReceiver.waitFor("READY=1"));
        stuck.signal(SIGTERM);
        QCOMPARE(stuck.waitForExit(20000), 1);
        stuckReceiver.collect();
        QCOMPARE(stuckReceiver.count("STOPPING=1"), 1);
        for (const NotifyMessage &message : stuckReceiver.messages())
            QVERIFY2(message.value("EXTEND_TIMEOUT_USEC").isEmpty(), message.text.constData());
    }

    void storeFileDescriptorRefusesWhatSystemdWould()
    {
        canstop::LifecycleManager outside;
        QVERIFY(!outside.storeFileDescriptor(0, QStringLiteral("quiet"))); // no systemd: no word

        NotifyReceiver systemd;
        qputenv("NOTIFY_SOCKET", systemd.address());
        canstop::LifecycleManager lifecycle;
        lifecycle.setAutoExit(false);
        QVERIFY(lifecycle.useSystemd());
        QFile file(QStringLiteral("/dev/null"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QRegularExpression refused(QStringLiteral("storeFileDescriptor.*refused"));
        for (const QString &name :
             {QString(), QStringLiteral("a:b"), QStringLiteral("a b"), QString(256, u'x')}) {
            QTest::ignoreMessage(QtWarningMsg, refused);
            QVERIFY(!lifecycle.storeFileDescriptor(file.handle(), name));
        }
        QTest::ignoreMessage(QtWarningMsg, refused);
        QVERIFY(!lifecycle.storeFileDescriptor(1000, QStringLiteral("closed")));

        QVERIFY(lifecycle.storeFileDescriptor(file.handle(), QStringLiteral("kept")));
        const auto stored = systemd.waitFor("FDSTORE=1");
        QVERIFY(stored);
        QCOMPARE(stored->value("FDNAME"), QByteArray("kept"));
        QCOMPARE(stored->fds.size(), 1);
        ::close(stored->fds.first());
        QCOMPARE(systemd.count("FDSTORE=1"), 1); // the refused ones sent nothing

        // systemd 254 and later say when the unit has no store.
        NotifyReceiver withoutStore;
        qputenv("NOTIFY_SOCKET", withoutStore.address());
        qputenv("FDSTORE", "0");
        canstop::LifecycleManager noStore;
        noStore.setAutoExit(false);
        QVERIFY(noStore.useSystemd());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "the unit has no file descriptor store")));
        QVERIFY(!noStore.storeFileDescriptor(file.handle(), QStringLiteral("kept")));
    }

    void journalSeesEachLinesLevel_data()
    {
        QTest::addColumn<QString>("journalStream"); // "stderr": its device and inode
        QTest::addColumn<QString>("messagePattern");
        QTest::addColumn<bool>("prefixed");
        QTest::addColumn<QByteArray>("warning");
        QTest::newRow("standard error") << "stderr" << QString() << true << QByteArray();
        QTest::newRow("unset") << QString() << QString() << false << QByteArray();
        QTest::newRow("another stream") << "1:1" << QString() << false << QByteArray();
        QTest::newRow("garbled") << "x:1" << QString() << false
                                 << QByteArray("JOURNAL_STREAM=x:1: not DEVICE:INODE");
        QTest::newRow("the user's own pattern")
            << "stderr" << QStringLiteral("%{category}: %{message}") << false << QByteArray();
    }

    void journalSeesEachLinesLevel()
    {
        QFETCH(QString, journalStream);
        QFETCH(QString, messagePattern);
        QFETCH(bool, prefixed);
        QFETCH(QByteArray, warning);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("JOURNAL_STREAM"));
        environment.remove(QStringLiteral("QT_MESSAGE_PATTERN"));
        if (!journalStream.isEmpty())
            environment.insert(QStringLiteral("JOURNAL_STREAM"), journalStream);
        if (!messagePattern.isEmpty())
            environment.insert(QStringLiteral("QT_MESSAGE_PATTERN"), messagePattern);
        // As systemd does: the device and inode of the stream that is the
        // program's standard error, here QProcess's pipe.
        const QString script = QStringLiteral(
            "if [ \"$JOURNAL_STREAM\" = stderr ]; then "
            "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); export JOURNAL_STREAM; fi; "
            "exec \"$0\" \"$@\"");
        // A shutdown timeout of 0 ms: one warning as it starts; info lines after.
        ChildProcess helper(QStringLiteral("/bin/sh"),
                            {QStringLiteral("-c"), script,
                             QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")),
                             QStringLiteral("term"), QStringLiteral("0")},
                            environment);
        QVERIFY(helper.waitForOutput("ready"));
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(20000), 0);
        const QByteArray err = helper.stdErr();
        const QByteArrayList lines = err.trimmed().split('\n');
        const auto hasPriority = [](const QByteArray &line) {
            return line.size() > 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' &&
                   line[2] == '>';
        };
        if (prefixed) {
            QVERIFY2(std::all_of(lines.cbegin(), lines.cend(), hasPriority), err.constData());
            QVERIFY2(err.contains("\n<6>canstop.lifecycle: shutdown requested (SIGTERM)"),
                     err.constData());
            QVERIFY2(err.startsWith("<4>canstop.lifecycle: shutdown timeout of 0 ms refused"),
                     err.constData());
        } else {
            QVERIFY2(std::none_of(lines.cbegin(), lines.cend(), hasPriority), err.constData());
            QVERIFY2(err.contains("canstop.lifecycle: shutdown requested (SIGTERM)"),
                     err.constData());
        }
        if (!warning.isEmpty())
            QCOMPARE(err.count(warning), 1);
        else
            QVERIFY2(!err.contains("JOURNAL_STREAM"), err.constData());
    }

    void garbledEnvironmentIsNamedOnce_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QByteArray>("warning"); // empty: a debug line only
        QTest::addColumn<bool>("notifies");
        const QByteArray notifySocket = "is neither an absolute path nor an @abstract name";
        QTest::newRow("NOTIFY_SOCKET empty") << "NOTIFY_SOCKET"
                                             << "" << notifySocket << false;
        QTest::newRow("NOTIFY_SOCKET relative") << "NOTIFY_SOCKET"
                                                << "run/notify" << notifySocket << false;
        QTest::newRow("NOTIFY_SOCKET too long")
            << "NOTIFY_SOCKET"
            << "/" + QString(200, QLatin1Char('x')) << notifySocket << false;
        QTest::newRow("NOTIFY_SOCKET vsock") << "NOTIFY_SOCKET"
                                             << "vsock:2:1234" << QByteArray() << false;
        const QByteArray usec = "is not an interval";
        QTest::newRow("WATCHDOG_USEC text") << "WATCHDOG_USEC"
                                            << "soon" << usec << true;
        QTest::newRow("WATCHDOG_USEC negative") << "WATCHDOG_USEC"
                                                << "-5" << usec << true;
        QTest::newRow("WATCHDOG_USEC huge") << "WATCHDOG_USEC"
                                            << "99999999999999999999" << usec << true;
        QTest::newRow("WATCHDOG_USEC empty") << "WATCHDOG_USEC"
                                             << "" << usec << true;
        QTest::newRow("WATCHDOG_PID text") << "WATCHDOG_PID"
                                           << "me" << QByteArray("is not a process id") << true;
    }

    void garbledEnvironmentIsNamedOnce()
    {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(QByteArray, warning);
        QFETCH(bool, notifies);
        NotifyReceiver receiver;
        QProcessEnvironment environment = environmentWith(
            {{QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(receiver.address())},
             {QStringLiteral("WATCHDOG_USEC"), QStringLiteral("1000000")}});
        environment.insert(name, value);
        Echo echo(environment);
        QVERIFY(echo.waitForPort() != 0); // it runs all the same
        if (notifies)
            QVERIFY(receiver.waitFor("READY=1"));
        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0);
        const QByteArray err = echo.stdErr();
        if (warning.isEmpty()) {
            QVERIFY2(!err.contains(name.toLatin1()), err.constData());
        } else {
            QCOMPARE(err.count(warning), 1);
            QVERIFY2(err.contains(name.toLatin1()), err.constData());
        }
        receiver.collect();
        QCOMPARE(receiver.messages().isEmpty(), !notifies);
    }
};

CANSTOP_TEST_MAIN(TestSystemd)
#include "tst_systemd.moc"
