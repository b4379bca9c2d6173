// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// An upgrade's launch alone, with /bin/sh as the new instance: what it is
// given (listeners, names, LISTEN_PID, the channel, nothing else), and each
// way it can fail before it says it is ready.
#include "common/testmain.h"
#include "upgradelaunch_p.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using canstop::UpgradeLaunch;
using namespace std::chrono_literals;

namespace {

constexpr auto Timeout = 20s; // generous: the shell is quick

// /bin/sh -c `script`, with $1 = `argument`.
bool startShell(UpgradeLaunch &launch, const QString &script,
                const QList<UpgradeLaunch::Listener> &listeners = {},
                std::chrono::milliseconds timeout = Timeout, const QString &argument = QString(),
                QString *why = nullptr)
{
    QString ignored;
    return launch.start(QStringLiteral("/bin/sh"),
                        {QStringLiteral("-c"), script, QStringLiteral("sh"), argument}, listeners,
                        {}, timeout, why ? why : &ignored);
}

bool isGone(qint64 pid)
{
    return ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

QByteArray socketName(int fd)
{
    struct stat status
    {
    };
    ::fstat(fd, &status);
    return "socket:[" + QByteArray::number(qulonglong(status.st_ino)) + ']';
}

} // namespace

class TestUpgradeLaunch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The listeners from fd 3 as systemd passes them, the channel after
    // them, and not one other descriptor of this process, not even one a
    // careless library left inheritable.
    void theNewInstanceGetsTheListenersAndNothingElse()
    {
        QTemporaryDir dir;
        QTcpServer one;
        QTcpServer two;
        QVERIFY(one.listen(QHostAddress::LocalHost) && two.listen(QHostAddress::LocalHost));
        const int leaky = ::socket(AF_INET, SOCK_STREAM, 0); // not close-on-exec
        QVERIFY(leaky >= 0);
        qputenv("CANSTOP_TEST_EXTRA", "this process's");
        qputenv("LISTEN_FDS", "7"); // an old one, never passed on

        UpgradeLaunch launch;
        QSignalSpy ready(&launch, &UpgradeLaunch::ready);
        QSignalSpy failed(&launch, &UpgradeLaunch::failed);
        const QString seen = dir.filePath(QStringLiteral("seen"));
        QString why;
        QVERIFY2(launch.start(
                     QStringLiteral("/bin/sh"),
                     {QStringLiteral("-c"),
                      QStringLiteral("exec >\"$1.tmp\"; echo \"pid=$$\"; "
                                     "echo \"LISTEN_PID=$LISTEN_PID\"; "
                                     "echo \"LISTEN_FDS=$LISTEN_FDS\"; "
                                     "echo \"LISTEN_FDNAMES=$LISTEN_FDNAMES\"; "
                                     "echo \"CHANNEL=$CANSTOP_UPGRADE_FD\"; "
                                     "echo \"EXTRA=$CANSTOP_TEST_EXTRA\"; ls -l /proc/$$/fd; "
                                     "mv \"$1.tmp\" \"$1\"; printf 'READY\\n' >&5; "
                                     "exec sleep 600 >/dev/null"),
                      QStringLiteral("sh"), seen},
                     {{int(one.socketDescriptor()), "one"}, {int(two.socketDescriptor()), "two"}},
                     {"CANSTOP_TEST_EXTRA=the new instance's"}, Timeout, &why),
                 qPrintable(why));
        QVERIFY(launch.isLaunching());
        QVERIFY(ready.wait(int(std::chrono::milliseconds(Timeout).count())));
        QCOMPARE(failed.count(), 0);
        QVERIFY(!launch.isLaunching());
        const qint64 pid = ready.at(0).at(0).toLongLong();
        const auto cleanup = qScopeGuard([pid] {
            ::kill(pid_t(pid), SIGKILL);
            ::waitpid(pid_t(pid), nullptr, 0);
        });
        ::close(leaky);
        qunsetenv("CANSTOP_TEST_EXTRA");
        qunsetenv("LISTEN_FDS");

        QFile file(seen);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY2(text.contains("pid=" + QByteArray::number(pid) + '\n'), text.constData());
        // Zero-padded as written in place; systemd's parser reads it as the number.
        QVERIFY2(QRegularExpression(QStringLiteral("LISTEN_PID=0*%1\n").arg(pid))
                     .match(QString::fromLatin1(text))
                     .hasMatch(),
                 text.constData());
        QVERIFY2(text.contains("LISTEN_FDS=2\n"), text.constData());
        QVERIFY2(text.contains("LISTEN_FDNAMES=one:two\n"), text.constData());
        QVERIFY2(text.contains("CHANNEL=5\n"), text.constData());
        QVERIFY2(text.contains("EXTRA=the new instance's\n"), text.constData());
        // ls -l names each descriptor "N -> target".
        QStringList fds;
        const QRegularExpression entry(QStringLiteral(" (\\d+) -> (.*)$"),
                                       QRegularExpression::MultilineOption);
        for (auto match = entry.globalMatch(QString::fromLocal8Bit(text)); match.hasNext();) {
            const auto found = match.next();
            fds.append(found.captured(1));
            if (found.captured(1) == u"3")
                QCOMPARE(found.captured(2).toLatin1(), socketName(int(one.socketDescriptor())));
            if (found.captured(1) == u"4")
                QCOMPARE(found.captured(2).toLatin1(), socketName(int(two.socketDescriptor())));
        }
        fds.sort();
        QVERIFY2(fds.size() == 6, text.constData());
        QCOMPARE(fds, QStringList({QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"),
                                   QStringLiteral("3"), QStringLiteral("4"), QStringLiteral("5")}));
    }

    void failures_data()
    {
        QTest::addColumn<QString>("script");
        QTest::addColumn<QString>("why");
        QTest::addColumn<int>("timeoutMs");
        QTest::newRow("exits") << "exit 3"
                               << "it exited with code 3 before it was ready" << 20000;
        QTest::newRow("crashes") << "kill -SEGV $$"
                                 << "it was killed by signal 11 (Segmentation fault) before it "
                                    "was ready"
                                 << 20000;
        QTest::newRow("never ready") << "exec sleep 600"
                                     << "not ready after 0.3 s" << 300;
        QTest::newRow("closes the channel") << "exec 3>&-; exec sleep 600"
                                            << "not ready after 0.3 s" << 300;
    }

    // Each is one failed() naming why, and the child is gone (reaped).
    void failures()
    {
        QFETCH(QString, script);
        QFETCH(QString, why);
        QFETCH(int, timeoutMs);
        UpgradeLaunch launch;
        QSignalSpy ready(&launch, &UpgradeLaunch::ready);
        QSignalSpy failed(&launch, &UpgradeLaunch::failed);
        QVERIFY(startShell(launch, script, {}, std::chrono::milliseconds(timeoutMs)));
        const qint64 pid = launch.pid();
        QVERIFY(failed.wait(int(std::chrono::milliseconds(Timeout).count())));
        QCOMPARE(failed.at(0).at(0).toString(), why);
        QCOMPARE(ready.count(), 0);
        QVERIFY(!launch.isLaunching());
        QVERIFY(isGone(pid));
    }

    void aMissingProgramIsNamed()
    {
        UpgradeLaunch launch;
        QSignalSpy failed(&launch, &UpgradeLaunch::failed);
        QString why;
        QVERIFY(
            launch.start(QStringLiteral("/nonexistent/canstop-echo"), {}, {}, {}, Timeout, &why));
        QVERIFY(failed.wait(int(std::chrono::milliseconds(Timeout).count())));
        QCOMPARE(failed.at(0).at(0).toString(),
                 QStringLiteral("cannot run the program: No such file or directory"));
    }

    void oneLaunchAtATime()
    {
        UpgradeLaunch launch;
        QVERIFY(startShell(launch, QStringLiteral("exec sleep 600")));
        QString why;
        QVERIFY(!startShell(launch, QStringLiteral("exit 0"), {}, Timeout, {}, &why));
        QCOMPARE(why, QStringLiteral("an upgrade is already under way (pid %1)").arg(launch.pid()));
    }

    // A READY followed at once by the exit still counts as ready.
    void readyThenGoneIsReady()
    {
        UpgradeLaunch launch;
        QSignalSpy ready(&launch, &UpgradeLaunch::ready);
        QSignalSpy failed(&launch, &UpgradeLaunch::failed);
        QVERIFY(startShell(launch, QStringLiteral("printf 'READY\\n' >&3; exit 0")));
        const qint64 pid = launch.pid();
        QVERIFY(ready.wait(int(std::chrono::milliseconds(Timeout).count())));
        QCOMPARE(failed.count(), 0);
        // Reaped here, or by the launch if its exit was seen first.
        QTRY_VERIFY(::waitpid(pid_t(pid), nullptr, WNOHANG) == pid_t(pid) || isGone(pid));
    }

    // A shutdown abandons it; so does the launch's end.
    void abandonedOrDestroyedKillsIt()
    {
        qint64 pid = 0;
        {
            UpgradeLaunch launch;
            QVERIFY(startShell(launch, QStringLiteral("exec sleep 600")));
            pid = launch.pid();
            QVERIFY(!isGone(pid));
        }
        QVERIFY(isGone(pid));
        UpgradeLaunch launch;
        QSignalSpy failed(&launch, &UpgradeLaunch::failed);
        QVERIFY(startShell(launch, QStringLiteral("exec sleep 600")));
        pid = launch.pid();
        launch.abandon();
        QVERIFY(isGone(pid));
        QVERIFY(!launch.isLaunching());
        QCOMPARE(failed.count(), 0);
    }

    // Started by no upgrade, this process has no one to tell.
    void tellReadyWithoutAChannel()
    {
        QVERIFY(!UpgradeLaunch::tellReady());
        QCOMPARE(UpgradeLaunch::startedBy(), 0);
    }
};

CANSTOP_TEST_MAIN(TestUpgradeLaunch)
#include "tst_upgradelaunch.moc"
