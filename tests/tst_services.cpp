// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Services: start order, reverse stop order, budgets, laggards, threads.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QPointer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <csignal>

using canstop::LifecycleManager;
using canstop::ServiceOptions;
using canstop::ServiceReport;
using namespace std::chrono_literals;

namespace {

QStringList s_journal;

// Records its start and stop; stop() returning is the end.
class Recorder : public QObject
{
    Q_OBJECT
public:
    explicit Recorder(const QString &name) { setObjectName(name); }
    std::atomic<QThread *> stoppedIn{nullptr};
public Q_SLOTS:
    void start() { s_journal.append(QStringLiteral("start ") + objectName()); }
    void stop()
    {
        stoppedIn.store(QThread::currentThread());
        s_journal.append(QStringLiteral("stop ") + objectName());
    }
};

// Finishes stopping later, announcing it with stopped().
class Slow : public QObject
{
    Q_OBJECT
public:
    int delayMs = 50;
public Q_SLOTS:
    void stop() { QTimer::singleShot(delayMs, this, &Slow::stopped); }
Q_SIGNALS:
    void stopped();
};

// Never finishes stopping.
class Stubborn : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() {}
Q_SIGNALS:
    void finished();
};

// Its stop() is a plain member function, neither a slot nor Q_INVOKABLE.
class PlainStop : public QObject
{
    Q_OBJECT
public:
    void stop() { stoppedIn = QThread::currentThread(); }
    QThread *stoppedIn = nullptr;
};

// A thread whose run() loop tests only the stop token: no event loop, no
// isInterruptionRequested().
class TokenLoop : public QThread
{
public:
    explicit TokenLoop(canstop::StopToken token) : m_token(std::move(token)) {}

protected:
    void run() override
    {
        while (!m_token.isStopRequested())
            msleep(5);
    }

private:
    const canstop::StopToken m_token;
};

class NoStop : public QObject
{
    Q_OBJECT
};

// A worker thread that runs until it is interrupted.
class Loop : public QThread
{
protected:
    void run() override
    {
        while (!isInterruptionRequested())
            QThread::msleep(1);
    }
};

} // namespace

class TestServices : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        s_journal.clear();
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    }

    void startInOrderStopInReverse()
    {
        TestManager manager;
        Recorder a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c"));
        QVERIFY(manager.addService(&a));
        QVERIFY(manager.addService(&b));
        QVERIFY(manager.addService(&c));
        QCOMPARE(manager.runningServices(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(s_journal.size(), 3, 10000);

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(s_journal, QStringList({QStringLiteral("start a"), QStringLiteral("start b"),
                                         QStringLiteral("start c"), QStringLiteral("stop c"),
                                         QStringLiteral("stop b"), QStringLiteral("stop a")}));
        QCOMPARE(manager.runningServices(), 0);
        const auto services = manager.report().services();
        QCOMPARE(services.size(), 3);
        QCOMPARE(services.at(0).name, QStringLiteral("c"));
        QCOMPARE(services.at(0).outcome, ServiceReport::Outcome::Clean);
    }

    void stopAfterSessionsComesLast()
    {
        TestManager manager;
        Recorder pool(QStringLiteral("pool")), server(QStringLiteral("server"));
        ServiceOptions late;
        late.stopAfterSessions = true;
        QVERIFY(manager.addService(&pool, late));
        QVERIFY(manager.addService(&server));
        auto *session = new QObject;
        QVERIFY(manager.trackSession(session));
        QTRY_COMPARE_WITH_TIMEOUT(s_journal.size(), 2, 10000);

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(s_journal.size(), 3, 10000);
        QCOMPARE(s_journal.last(), QStringLiteral("stop server"));
        delete session; // the drain ends, then the pool stops
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(s_journal.last(), QStringLiteral("stop pool"));
    }

    void laggardIsNamedAndSkipped()
    {
        TestManager manager;
        Recorder first(QStringLiteral("first"));
        Stubborn producer;
        QVERIFY(manager.addService(&first));
        ServiceOptions options;
        options.name = QStringLiteral("producer");
        options.stopTimeout = 200ms;
        QVERIFY(manager.addService(&producer, options));

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^service \"producer\" did not stop within 2\\d\\d ms$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("timed out")));
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QVERIFY(s_journal.contains(QStringLiteral("stop first"))); // the sequence went on
        const auto services = manager.report().services();
        QCOMPARE(services.size(), 2);
        QCOMPARE(services.at(0).name, QStringLiteral("producer"));
        QCOMPARE(services.at(0).outcome, ServiceReport::Outcome::TimedOut);
        QCOMPARE(services.at(1).outcome, ServiceReport::Outcome::Clean);
        QCOMPARE(manager.report().exitCode(), 1);
    }

    void deadlineCapsTheServiceBudget()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(300ms));
        Stubborn stubborn;
        stubborn.setObjectName(QStringLiteral("stubborn"));
        ServiceOptions options;
        options.stopTimeout = 60s; // the deadline is smaller, so it wins
        QVERIFY(manager.addService(&stubborn, options));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("\"stubborn\" did not stop")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("timed out")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().totalMs() < 5000);
    }

    void finishesWithItsOwnSignal()
    {
        TestManager manager;
        Slow slow;
        QVERIFY(manager.addService(&slow));
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QCOMPARE(manager.runningServices(), 1); // not done when stop() returns
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(manager.report().services().at(0).outcome, ServiceReport::Outcome::Clean);
        QVERIFY(manager.report().services().at(0).stopMs >= 40);
    }

    void stopRunsInTheServicesThread()
    {
        TestManager manager;
        QThread worker;
        canstop::test::startThread(worker);
        Recorder remote(QStringLiteral("remote"));
        remote.moveToThread(&worker);
        QVERIFY(manager.addService(&remote));
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(remote.stoppedIn.load(), &worker);
        worker.quit();
        worker.wait();
    }

    void threadIsStartedAndInterrupted()
    {
        TestManager manager;
        auto *loop = new Loop;
        connect(loop, &QThread::finished, loop, &QObject::deleteLater);
        QPointer<Loop> alive(loop);
        ServiceOptions options;
        options.name = QStringLiteral("loop");
        QVERIFY(manager.addService(loop, options));
        QTRY_VERIFY_WITH_TIMEOUT(loop->isRunning(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(manager.runningServices(), 1, 10000);

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(manager.report().services().at(0).outcome, ServiceReport::Outcome::Clean);
        QCOMPARE(manager.report().services().at(0).name, QStringLiteral("loop"));
        QCOMPARE(manager.runningServices(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(alive.isNull(), 10000); // it ended, so it was deleted
    }

    // A stop() that is not a slot: called all the same when the type is
    // known, or through ServiceOptions::stop; refused without either.
    void plainMemberStopIsCalled()
    {
        PlainStop typed, given, untyped;
        TestManager manager;
        QVERIFY(manager.addService(&typed));
        canstop::ServiceOptions options;
        options.name = QStringLiteral("given");
        options.stop = [](QObject *service) { static_cast<PlainStop *>(service)->stop(); };
        QVERIFY(manager.addService(static_cast<QObject *>(&given), options));
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral("PlainStop has no stop\\(\\) slot")));
        QVERIFY(!manager.addService(static_cast<QObject *>(&untyped)));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(typed.stoppedIn, QThread::currentThread());
        QCOMPARE(given.stoppedIn, QThread::currentThread());
        QCOMPARE(untyped.stoppedIn, nullptr);
    }

    // Child processes: started if they are not running, SIGTERM at their
    // turn, SIGKILL once their budget is spent, and the report says how
    // each ended; newest first, as any service.
    void childProcessesStopWithinTheirBudget()
    {
        TestManager manager;
        QProcess polite; // exits on SIGTERM; started by the manager
        polite.setProgram(QStringLiteral("sleep"));
        polite.setArguments({QStringLiteral("60")});
        QVERIFY(manager.addService(&polite));
        QProcess stubborn; // ignores SIGTERM, which stays ignored across exec
        stubborn.start(
            QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"), QStringLiteral("trap '' TERM; echo ready; exec sleep 60")});
        canstop::ServiceOptions options;
        options.name = QStringLiteral("stubborn");
        options.stopTimeout = 300ms;
        QVERIFY(manager.addService(&stubborn, options));
        QByteArray said;
        QTRY_VERIFY2_WITH_TIMEOUT((said += stubborn.readAllStandardOutput()).contains("ready"),
                                  said.constData(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(polite.state(), QProcess::Running, 10000);
        QCOMPARE(manager.runningServices(), 2);
        const qint64 politePid = polite.processId();
        const qint64 stubbornPid = stubborn.processId();

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "\"stubborn\" did not stop within 300 ms")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "\"stubborn\": pid \\d+ killed with SIGKILL after its budget")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        const QList<ServiceReport> services = manager.report().services();
        QCOMPARE(services.size(), 2);
        QCOMPARE(services.at(0).name, QStringLiteral("stubborn"));
        QCOMPARE(services.at(0).outcome, ServiceReport::Outcome::TimedOut);
        QCOMPARE(services.at(0).ending,
                 QStringLiteral("pid %1 killed with SIGKILL after its budget").arg(stubbornPid));
        QCOMPARE(services.at(1).name, QStringLiteral("sleep"));
        QCOMPARE(services.at(1).outcome, ServiceReport::Outcome::Clean);
        QCOMPARE(services.at(1).ending,
                 QStringLiteral("pid %1 ended by signal %2").arg(politePid).arg(SIGTERM));
        QTRY_COMPARE_WITH_TIMEOUT(stubborn.state(), QProcess::NotRunning, 10000);
        QCOMPARE(stubborn.exitStatus(), QProcess::CrashExit);
        QCOMPARE(stubborn.exitCode(), SIGKILL);
    }

    // A child that exits on its own has failed; one with nothing to run is refused.
    void childThatExitsHasFailed()
    {
        TestManager manager;
        QProcess failing;
        failing.setProgram(QStringLiteral("/bin/sh"));
        failing.setArguments({QStringLiteral("-c"), QStringLiteral("exit 3")});
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "\"sh\" failed: pid \\d+ exited with code 3; without a restart")));
        QSignalSpy exited(&failing, &QProcess::finished);
        QVERIFY(manager.addService(&failing)); // started with the event loop
        QVERIFY(exited.wait(10000));
        QCOMPARE(manager.runningServices(), 0);

        QProcess nothing;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "not running and has no program to start")));
        QVERIFY(!manager.addService(&nothing));

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        const QList<ServiceReport> services = manager.report().services();
        QCOMPARE(services.size(), 1);
        QCOMPARE(services.at(0).outcome, ServiceReport::Outcome::Failed);
        QVERIFY2(services.at(0).lastError.endsWith(QLatin1String("exited with code 3")),
                 qPrintable(services.at(0).lastError));
    }

    // A thread pool: queued tasks never start, a task that does not test
    // the stop token is named when the budget is spent; tasks that do
    // return, and the pool stops cleanly.
    void threadPoolStopsWithinItsBudget()
    {
        TestManager manager;
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        std::atomic<bool> release{false};
        std::atomic<bool> queuedRan{false};
        std::atomic<bool> started{false};
        pool.start([&started, &release] { // tests nothing
            started = true;
            while (!release.load())
                QThread::msleep(5);
        });
        pool.start([&queuedRan] { queuedRan = true; }); // waits for the thread
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        canstop::ServiceOptions options;
        options.name = QStringLiteral("indexers");
        options.stopTimeout = 500ms;
        QVERIFY(manager.addService(&pool, options));
        QCOMPARE(manager.runningServices(), 1);

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "\"indexers\" did not stop within 500 ms")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        const QList<ServiceReport> services = manager.report().services();
        QCOMPARE(services.size(), 1);
        QCOMPARE(services.at(0).outcome, ServiceReport::Outcome::TimedOut);
        QCOMPARE(services.at(0).ending,
                 QStringLiteral("1 task(s) still running; a pool cannot stop its threads"));
        release = true;
        pool.waitForDone();
        QVERIFY(!queuedRan.load());

        // Cooperative tasks only: a clean stop, well before its budget.
        TestManager second;
        QThreadPool cooperative;
        for (int i = 0; i < 2; ++i) {
            cooperative.start([token = second.stopToken()] {
                while (!token.isStopRequested())
                    QThread::msleep(5);
            });
        }
        QVERIFY(second.addService(&cooperative));
        second.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(second.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(second.report().isClean());
        QCOMPARE(cooperative.activeThreadCount(), 0);
    }

    void threadTestingOnlyTheTokenStops()
    {
        TestManager manager;
        TokenLoop loop(manager.stopToken());
        QVERIFY(manager.addService(&loop)); // started with the event loop
        QTRY_VERIFY_WITH_TIMEOUT(loop.isRunning(), 10000);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QVERIFY(loop.wait(10000));
    }

    void badInput()
    {
        TestManager manager;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("service is null")));
        QVERIFY(!manager.addService(static_cast<QObject *>(nullptr)));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("service is null")));
        QVERIFY(!manager.addService(static_cast<QThread *>(nullptr)));

        NoStop noStop;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("NoStop has no stop")));
        QVERIFY(
            !manager.addService(static_cast<QObject *>(&noStop))); // typed, it would not compile

        Recorder twice(QStringLiteral("twice"));
        QVERIFY(manager.addService(&twice));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("\"twice\".*already a service")));
        QVERIFY(!manager.addService(&twice));

        Recorder negative(QStringLiteral("negative"));
        ServiceOptions options;
        options.stopTimeout = -1ms;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("a timeout or limit is negative")));
        QVERIFY(!manager.addService(&negative, options));

        Loop done;
        done.start();
        done.requestInterruption();
        QVERIFY(done.wait(10000));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("already finished")));
        QVERIFY(!manager.addService(&done));

        QCOMPARE(manager.runningServices(), 1);
        manager.requestShutdown();
        Recorder late(QStringLiteral("late"));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("\"late\".*shutdown has already")));
        QVERIFY(!manager.addService(&late));
    }
};

CANSTOP_TEST_MAIN(TestServices)
#include "tst_services.moc"
