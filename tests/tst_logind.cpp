// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// logind's inhibitor locks, shutdown and sleep, against a fake logind
// (tests/fakelogind) on a real dbus-daemon that is this process's system
// bus; the fake is first checked with systemd's own client.
#include "common/privatebus.h"
#include "common/testmain.h"
#include "common/testmanager.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using canstop::LifecycleManager;
using namespace std::chrono_literals;

namespace {

// "released N after MS ms" for lock `lock`: MS, or -1 until it appears.
qint64 releasedAfter(FakeLogind &logind, int lock)
{
    const QRegularExpression line(QStringLiteral("released %1 after (\\d+) ms").arg(lock));
    const QRegularExpressionMatch match = line.match(QString::fromUtf8(logind.stdOut()));
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

} // namespace

class TestLogind : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!m_bus.address().isEmpty(), "dbus-daemon did not start");
        // Before Qt D-Bus first connects: the system bus is this one from now on.
        qputenv("DBUS_SYSTEM_BUS_ADDRESS", m_bus.address().toUtf8());
        QVERIFY(!qgetenv("CANSTOP_FAKE_LOGIND").isEmpty());
    }

    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // The fake as systemd's own client sees it: a delay lock with its
    // arguments, released when the client's command has run.
    void fakeAnswersSystemdsOwnClient()
    {
        FakeLogind logind(m_bus);
        QVERIFY(logind.waitForOutput("ready"));
        ChildProcess inhibit(QStringLiteral("systemd-inhibit"),
                             {QStringLiteral("--what=sleep"), QStringLiteral("--who=check"),
                              QStringLiteral("--why=a test"), QStringLiteral("--mode=delay"),
                              QStringLiteral("true")},
                             m_bus.environment());
        QCOMPARE(inhibit.waitForExit(20000), 0);
        QVERIFY(logind.waitForOutput("released 1 after"));
        QVERIFY(logind.stdOut().contains("inhibit 1 what=sleep who=check why=a test mode=delay"));
    }

    // No logind on the bus, or one that refuses: false, and the program
    // runs on as before (no warning: failOnWarning).
    void absentOrRefusingLogind()
    {
        TestManager absent;
        QVERIFY(!absent.useLogind());

        FakeLogind logind(m_bus, {QStringLiteral("--refuse")});
        QVERIFY(logind.waitForOutput("ready"));
        TestManager refused;
        QVERIFY(!refused.useLogind());
        QVERIFY(logind.waitForOutput("inhibit 1"));
        QTRY_COMPARE(refused.state(), LifecycleManager::State::Running);
        refused.requestShutdown();
        QTRY_COMPARE(refused.state(), LifecycleManager::State::Stopped);
    }

    // Sleep: the lock is let go after the last hold, not before; the
    // resume says so and takes a fresh lock.
    void sleepWaitsForItsHoldsThenResumes()
    {
        FakeLogind logind(m_bus);
        QVERIFY(logind.waitForOutput("ready"));
        TestManager manager;
        QVERIFY(manager.useLogind());
        QVERIFY(manager.useLogind()); // once is enough; twice is no harm
        QVERIFY(logind.waitForOutput(
            "inhibit 1 what=shutdown:sleep who=tst_logind why=saves its work before the system "
            "shuts down or sleeps mode=delay"));
        QCOMPARE(logind.count("inhibit "), 1);
        QSignalSpy sleeping(&manager, &LifecycleManager::sleepingChanged);
        QSignalSpy resumed(&manager, &LifecycleManager::resumed);
        connect(&manager, &LifecycleManager::aboutToSleep, this,
                [&manager] { QVERIFY(manager.holdSleep(QStringLiteral("save"))); });

        QVERIFY(logind.command("sleep"));
        QTRY_VERIFY_WITH_TIMEOUT(manager.isSleeping(), 10000);
        QCOMPARE(sleeping.count(), 1);
        QTest::qWait(200); // held: the lock stays
        QCOMPARE(releasedAfter(logind, 1), -1);
        QVERIFY(manager.releaseSleep(QStringLiteral("save")));
        QTRY_VERIFY_WITH_TIMEOUT(releasedAfter(logind, 1) >= 0, 10000);

        QVERIFY(logind.command("resume"));
        QTRY_COMPARE_WITH_TIMEOUT(resumed.count(), 1, 10000);
        QVERIFY(!manager.isSleeping());
        QVERIFY(resumed.at(0).at(0).toLongLong() >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(logind.stdOut().contains("inhibit 2 what=shutdown:sleep"), 10000);
    }

    // A hold never released: the lock goes at the clamp, within what logind
    // waits, and a warning names the hold. A child started meanwhile does
    // not keep the lock (close-on-exec).
    void ignoredSleepIsLetGoAtTheClamp()
    {
        static constexpr int DelayMaxMs = 2000;
        FakeLogind logind(m_bus, {QStringLiteral("--delay-max-ms"), QString::number(DelayMaxMs)});
        QVERIFY(logind.waitForOutput("ready"));
        TestManager manager;
        QVERIFY(manager.useLogind());
        QProcess child; // inherits what is not close-on-exec
        child.start(QStringLiteral("sleep"), {QStringLiteral("60")});
        QVERIFY(child.waitForStarted());
        QVERIFY(manager.holdSleep(QStringLiteral("stubborn")));

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("logind waits no longer than")));
        QTest::ignoreMessage(QtWarningMsg, "the system sleeps now, still held by: stubborn");
        QVERIFY(logind.command("sleep"));
        QTRY_VERIFY_WITH_TIMEOUT(releasedAfter(logind, 1) >= 0, 10000);
        const qint64 held = releasedAfter(logind, 1);
        qInfo("the lock was let go %lld ms after the announcement (logind waits %d ms)", held,
              DelayMaxMs);
        QVERIFY2(held <= DelayMaxMs, QByteArray::number(held));
        QVERIFY(held >= DelayMaxMs / 2); // the hold was honoured until the clamp
        QCOMPARE(child.state(), QProcess::Running);
        child.kill();
        child.waitForFinished();
    }

    // A system shutdown: the shutdown begins, its deadline clamped to what
    // logind waits, sessions drain, and the lock is let go when it has
    // finished, before the program exits.
    void systemShutdownDrainsWithinTheClamp()
    {
        FakeLogind logind(m_bus, {QStringLiteral("--delay-max-ms"), QStringLiteral("3000")});
        QVERIFY(logind.waitForOutput("ready"));
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(30s));
        QVERIFY(manager.useLogind());
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Running);
        canstop::SessionToken save = manager.holdSession(QStringLiteral("final save"));
        connect(&manager, &LifecycleManager::shutdownRequested, this,
                [&save] { QTimer::singleShot(200ms, [&save] { save.reset(); }); });

        QVERIFY(logind.command("shutdown"));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.shutdownReason(),
                 QStringLiteral("system shutdown (deadline clamped to 2750 ms: logind waits no "
                                "longer)"));
        QCOMPARE(manager.shutdownTimeout(), 2750ms);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(releasedAfter(logind, 1) >= 0, 10000);
        QVERIFY(releasedAfter(logind, 1) < 3000);
        QVERIFY(logind.command("cancel-shutdown")); // too late: nothing changes
        QVERIFY(logind.command("resume"));          // no new lock for a program that ends
        QTest::qWait(300);
        QCOMPARE(logind.count("inhibit "), 1);
    }

    // The worker example with --logind, as a program: it logs the lock, the
    // sleep and the resume, and a system shutdown ends it by the clamp. Its
    // health probe, a server, stays ready and serves across the sleep.
    void workerShowsIt()
    {
        FakeLogind logind(m_bus, {QStringLiteral("--delay-max-ms"), QStringLiteral("2000")});
        QVERIFY(logind.waitForOutput("ready"));
        ChildProcess worker(
            QString::fromLocal8Bit(qgetenv("CANSTOP_WORKER")),
            {QStringLiteral("--logind"), QStringLiteral("--health-port"), QStringLiteral("0")},
            m_bus.environment());
        QVERIFY(worker.waitForOutput("holding logind's delay lock"));
        const quint16 port = worker.waitForPort("health probe on");
        QVERIFY(port != 0);
        QVERIFY(worker.waitForOutput("canstop-worker running"));
        QCOMPARE(readyz(port), QByteArray("200"));
        QVERIFY(logind.command("sleep"));
        QVERIFY(worker.waitForOutput("tally written"));
        QVERIFY(logind.waitForOutput("released 1 after"));
        QCOMPARE(readyz(port), QByteArray("200")); // a sleep is not a shutdown
        QVERIFY(logind.command("resume"));
        QVERIFY(worker.waitForOutput("awake after"));
        QCOMPARE(readyz(port), QByteArray("200"));
        QVERIFY(logind.waitForOutput("inhibit 2 what=shutdown:sleep who=canstop-worker"));
        QVERIFY(worker.waitForOutput("holding logind's delay lock again"));

        QElapsedTimer clock;
        clock.start();
        QVERIFY(logind.command("shutdown"));
        // The producer ignores stop(): the clamped deadline abandons it.
        QCOMPARE(worker.waitForExit(20000), 1);
        qInfo("the worker ended %lld ms after logind's announcement", clock.elapsed());
        QVERIFY(worker.stdErr().contains("system shutdown (deadline clamped to 1750 ms"));
        QVERIFY(logind.waitForOutput("released 2 after"));
    }

    // Without a system bus: the worker says so and runs as before.
    void workerWithoutABus()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"),
                           QStringLiteral("unix:path=/nonexistent/bus"));
        ChildProcess worker(QString::fromLocal8Bit(qgetenv("CANSTOP_WORKER")),
                            {QStringLiteral("--logind")}, environment);
        QVERIFY(worker.waitForOutput("no logind here"));
        QVERIFY(worker.waitForOutput("canstop-worker running"));
        worker.signal(SIGTERM);
        QCOMPARE(worker.waitForExit(20000), 1); // the producer, as always
        QVERIFY(!worker.stdErr().contains("QDBus"));
    }

private:
    // The status of GET /readyz, by curl.
    static QByteArray readyz(quint16 port)
    {
        ChildProcess curl(QStringLiteral("curl"),
                          {QStringLiteral("-s"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                           QStringLiteral("-w"), QStringLiteral("%{http_code}"),
                           QStringLiteral("http://127.0.0.1:%1/readyz").arg(port)});
        curl.waitForExit(20000);
        return curl.stdOut();
    }

    PrivateBus m_bus;
};

CANSTOP_TEST_MAIN(TestLogind)
#include "tst_logind.moc"
