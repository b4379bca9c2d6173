// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The manager's states, properties, deadline and report, in process.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

using canstop::LifecycleManager;
using namespace std::chrono_literals;

class TestLifecycleManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The token is stopped the instant the signal is counted: a worker
    // sees it while the manager's thread has run nothing yet.
    void stopTokenFallsWithTheSignal()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals());
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Running);
        const canstop::StopToken token = manager.stopToken();
        QVERIFY(token.stopPossible());
        QVERIFY(!token.isStopRequested());
        std::thread worker([token] {
            while (!token.isStopRequested())
                std::this_thread::yield();
        });
        raise(SIGTERM);
        worker.join();                                               // it saw the stop
        QCOMPARE(manager.state(), LifecycleManager::State::Running); // nothing has run here
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
    }

    // QtConcurrent jobs that test the token between steps end within one
    // step when another thread asks for the shutdown, none abandoned;
    // onStopRequested() runs once, in its context's thread.
    void concurrentJobsStopWithinAStep()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(60s));
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Running);
        const canstop::StopToken token = manager.stopToken();
        constexpr int Jobs = 4;
        static constexpr auto Step = 20ms;
        QThreadPool pool; // room for them all at once
        pool.setMaxThreadCount(Jobs);
        std::atomic<int> started{0};
        QList<QFuture<void>> jobs;
        for (int i = 0; i < Jobs; ++i) {
            jobs.append(QtConcurrent::run(
                &pool, [&started, token,
                        session = std::make_shared<canstop::SessionToken>(
                            manager.holdSession(QStringLiteral("job %1").arg(i)))] {
                    ++started;
                    while (!token.isStopRequested())
                        std::this_thread::sleep_for(Step); // a step of the job's work
                    session->reset();
                }));
        }
        int heard = 0;
        QThread *heardIn = nullptr;
        QVERIFY(token.onStopRequested(&manager, [&] {
            ++heard;
            heardIn = QThread::currentThread();
        }));
        QTRY_COMPARE_WITH_TIMEOUT(started.load(), Jobs, 10000);
        QElapsedTimer clock;
        clock.start();
        std::thread([&manager] { manager.requestShutdown(); }).join();
        QVERIFY(token.isStopRequested()); // before this thread has run a slot
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 30000);
        const qint64 elapsed = clock.elapsed();
        qInfo("%d jobs stopped and drained %lld ms after the request", Jobs, elapsed);
        QVERIFY2(elapsed < 10000, QByteArray::number(elapsed)); // far from the 60 s deadline
        for (QFuture<void> &job : jobs)
            job.waitForFinished();
        // Drained, or ended before the sequence began to wait: none abandoned.
        QCOMPARE(manager.report().sessionsAbandoned(), 0);
        QCOMPARE(manager.report().exitCode(), 0);
        QCOMPARE(manager.activeSessions(), 0);
        QCOMPARE(heard, 1);
        QCOMPARE(heardIn, QThread::currentThread());
    }

    // A pool stopped as a service removes its queued tasks; Qt leaves their
    // futures running forever, so tracked ones would hold the shutdown to
    // its deadline. They end with the pool's stop, named as never started.
    void poolServiceEndsTrackedTasksItRemoved()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(60s));
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        std::atomic<bool> started{false};
        std::atomic<bool> cleared{false};
        std::atomic<int> ran{0};
        // The running task returns once the pool's clear() has removed the
        // rest (a sentinel queued last says so as it is deleted): had it
        // returned at the stop token, the queued tasks would have run
        // before the pool's turn came.
        QVERIFY(manager.trackFuture(QtConcurrent::run(&pool,
                                                      [&started, &cleared] {
                                                          started = true;
                                                          QDeadlineTimer bound(20s);
                                                          while (!cleared && !bound.hasExpired())
                                                              QThread::msleep(5);
                                                      }),
                                    QStringLiteral("running")));
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        for (const QString &what : {QStringLiteral("queued 1"), QStringLiteral("queued 2")})
            QVERIFY(manager.trackFuture(QtConcurrent::run(&pool, [&ran] { ++ran; }), what));
        struct Sentinel : QRunnable
        {
            explicit Sentinel(std::atomic<bool> &cleared) : m_cleared(cleared) {}
            ~Sentinel() override { m_cleared = true; }
            void run() override {}
            std::atomic<bool> &m_cleared;
        };
        pool.start(new Sentinel(cleared));
        QVERIFY(manager.addService(&pool));
        QTRY_COMPARE(manager.activeSessions(), 3);

        QElapsedTimer clock;
        clock.start();
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 30000);
        QVERIFY2(clock.elapsed() < 30000, QByteArray::number(clock.elapsed())); // not the deadline
        const canstop::ShutdownReport report = manager.report();
        QVERIFY(report.isClean());
        QCOMPARE(report.sessionsAbandoned(), 0);
        QCOMPARE(report.services().size(), 1);
        QCOMPARE(report.services().at(0).ending,
                 QStringLiteral("2 queued task(s) removed before they started: "
                                "\"queued 1\", \"queued 2\""));
        QCOMPARE(manager.activeSessions(), 0);
        pool.waitForDone();
        QCOMPARE(ran.load(), 0);
    }

    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void startsThenRuns()
    {
        TestManager manager;
        QCOMPARE(manager.state(), LifecycleManager::State::Starting);
        QCOMPARE(manager.remainingMs(), -1);
        QSignalSpy state(&manager, &LifecycleManager::stateChanged);
        QVERIFY(state.wait(10000));
        QCOMPARE(manager.state(), LifecycleManager::State::Running);
        QVERIFY(!manager.isShuttingDown());
        QCOMPARE(manager.remainingMs(), -1);
    }

    void instanceIsTheFirstManager()
    {
        LifecycleManager first;
        LifecycleManager second;
        QCOMPARE(LifecycleManager::instance(), &first);
    }

    void managerAfterAnImplicitOneDoesNothing()
    {
        // What the QML singleton does when QML asks before main() made one.
        std::unique_ptr<LifecycleManager> implicit(LifecycleManager::instance());
        QVERIFY(implicit);
        implicit->setAutoExit(false);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^this LifecycleManager does nothing: LifecycleManager::instance"
                                 "\\(\\) already made the application's manager")));
        LifecycleManager late;
        QCOMPARE(LifecycleManager::instance(), implicit.get());
        QObject session;
        QVERIFY(!late.trackSession(&session));
        QVERIFY(!late.watchSignals());
        implicit.reset();
        // With the implicit one gone, a manager made now is the application's.
        LifecycleManager next;
        QCOMPARE(LifecycleManager::instance(), &next);
    }

    void requestShutdownRunsTheSequence()
    {
        TestManager manager;
        QSignalSpy states(&manager, &LifecycleManager::stateChanged);
        QSignalSpy shuttingDown(&manager, &LifecycleManager::shuttingDownChanged);
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);

        manager.requestShutdown(7);
        QCOMPARE(shuttingDown.count(), 1);
        QVERIFY(manager.isShuttingDown());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(manager.state(), LifecycleManager::State::Stopped);
        QCOMPARE(states.last().at(0).value<LifecycleManager::State>(),
                 LifecycleManager::State::Stopped);
        QCOMPARE(manager.remainingMs(), 0);

        const canstop::ShutdownReport report = manager.report();
        QVERIFY(report.isValid());
        QCOMPARE(report.exitCode(), 7);
        QVERIFY(report.isClean());
        QVERIFY(report.startedAt() <= report.finishedAt());
        const QJsonObject json = report.toJson();
        QCOMPARE(json.value(QStringLiteral("exitCode")).toInt(), 7);
        QCOMPARE(json.value(QStringLiteral("reason")).toString(), QStringLiteral("requested"));
        QCOMPARE(json.value(QStringLiteral("clean")).toBool(), true);
    }

    void onlyTheFirstRequestCounts()
    {
        TestManager manager;
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        manager.requestShutdownWithReason(QStringLiteral("first"), 3);
        manager.requestShutdownWithReason(QStringLiteral("second"), 4);
        manager.requestShutdown(5);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(manager.report().reason(), QStringLiteral("first"));
        QCOMPARE(manager.report().exitCode(), 3);
    }

    void requestShutdownFromOtherThreads()
    {
        TestManager manager;
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        std::vector<std::thread> threads;
        for (int i = 1; i <= 8; ++i)
            threads.emplace_back([&manager, i] { manager.requestShutdown(i); });
        for (auto &thread : threads)
            thread.join();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(requested.count(), 1);
        QVERIFY(manager.report().exitCode() >= 1 && manager.report().exitCode() <= 8);
    }

    void timeoutIsValidated()
    {
        TestManager manager;
        QCOMPARE(manager.shutdownTimeout(), 30000ms);
        QSignalSpy changed(&manager, &LifecycleManager::shutdownTimeoutChanged);
        QVERIFY(manager.setShutdownTimeout(1500ms));
        QCOMPARE(manager.shutdownTimeoutMs(), 1500);
        QCOMPARE(changed.count(), 1);

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("-5 ms refused")));
        QVERIFY(!manager.setShutdownTimeout(-5ms));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("0 ms refused")));
        QVERIFY(!manager.setShutdownTimeout(0ms));
        QCOMPARE(manager.shutdownTimeoutMs(), 1500);
        QCOMPARE(changed.count(), 1);
    }

    void deadlineEndsAHeldSequence()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(300ms));
        canstop::SessionToken save = manager.holdSession(QStringLiteral("saving report.pdf"));
        QVERIFY(save.isValid());
        QSignalSpy remaining(&manager, &LifecycleManager::remainingMsChanged);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "1 session\\(s\\) still open at the shutdown deadline, "
                                 "abandoned: saving report.pdf")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QCOMPARE(manager.state(), LifecycleManager::State::Stopping);
        QVERIFY(manager.remainingMs() > 0 && manager.remainingMs() <= 300);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);

        const canstop::ShutdownReport report = manager.report();
        QCOMPARE(report.exitCode(), 1);
        QVERIFY(!report.isClean());
        QCOMPARE(report.sessionsAbandoned(), 1);
        QCOMPARE(report.abandonedSessions(), QStringList{QStringLiteral("saving report.pdf")});
        QVERIFY(report.totalMs() >= 250);
        QVERIFY(remaining.count() >= 2);
        QCOMPARE(remaining.last().at(0).toInt(), 0);
    }

    void exitCodeReconcilesExecWithTheReport()
    {
        TestManager manager;
        QCOMPARE(manager.exitCode(0), 0); // no shutdown yet: exec()'s result
        QCOMPARE(manager.exitCode(4), 4);
        manager.requestShutdown(2);
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Stopped);
        QCOMPARE(manager.exitCode(0), 2); // a direct exit(0) cannot hide the failure
        QCOMPARE(manager.exitCode(3), 3); // the application's own failure code wins
    }

    void readinessFollowsHoldsReloadsAndTheShutdown()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals());
        QVERIFY(manager.holdReadiness(QStringLiteral("loading the model")));
        QSignalSpy ready(&manager, &LifecycleManager::readyChanged);
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Running);
        QVERIFY(!manager.isReady()); // running, but held back
        QVERIFY(manager.releaseReadiness(QStringLiteral("loading the model")));
        QVERIFY(manager.isReady());
        QCOMPARE(ready.count(), 1);

        // A reload lowers readiness while its slots run; one of them keeps
        // it lowered until its reload is done.
        bool readyInTheSlot = true;
        connect(&manager, &LifecycleManager::reloadRequested, &manager, [&] {
            readyInTheSlot = manager.isReady();
            manager.holdReadiness(QStringLiteral("reloading the config"));
        });
        QSignalSpy reload(&manager, &LifecycleManager::reloadRequested);
        raise(SIGHUP);
        QVERIFY(reload.wait(10000));
        QVERIFY(!readyInTheSlot);
        QVERIFY(!manager.isReady());
        QVERIFY(manager.releaseReadiness(QStringLiteral("reloading the config")));
        QVERIFY(manager.isReady());

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("holdReadiness\\(\\): refused")));
        QVERIFY(!manager.holdReadiness(QString()));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("nothing by that name holds it")));
        QVERIFY(!manager.releaseReadiness(QStringLiteral("never held")));
        QVERIFY(manager.isReady());

        // False from the announcement on, before any slot hears of it.
        bool readyWhenStopping = true;
        connect(&manager, &LifecycleManager::stateChanged, &manager,
                [&](LifecycleManager::State state) {
                    if (state == LifecycleManager::State::Stopping)
                        readyWhenStopping = manager.isReady();
                });
        manager.requestShutdown();
        QVERIFY(!readyWhenStopping);
        QVERIFY(!manager.isReady());
    }

    void bindablesAreReadOnly()
    {
        TestManager manager;
        QSignalSpy state(&manager, &LifecycleManager::stateChanged);
        QVERIFY(manager.bindableState().isReadOnly());
        QVERIFY(manager.bindableActiveSessions().isReadOnly());
        QVERIFY(manager.bindableShuttingDown().isReadOnly());
        QVERIFY(manager.bindableRunningServices().isReadOnly());
        QVERIFY(manager.bindableShutdownReason().isReadOnly());
        QVERIFY(manager.bindableRemainingMs().isReadOnly());
        manager.bindableState().setValue(LifecycleManager::State::Stopped);
#ifndef QT_NO_DEBUG
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("setBinding")));
#endif
        manager.bindableActiveSessions().setBinding([] { return 42; });
        QCOMPARE(manager.state(), LifecycleManager::State::Starting);
        QCOMPARE(manager.activeSessions(), 0);
        QCOMPARE(state.count(), 0);
    }

    void propertiesAreSetBeforeAnySignal()
    {
        TestManager manager;
        QList<QString> seen;
        const auto record = [&] {
            seen.append(QStringLiteral("%1 %2 %3 %4")
                            .arg(int(manager.state()))
                            .arg(manager.isShuttingDown())
                            .arg(manager.remainingMs() > 0)
                            .arg(manager.shutdownReason()));
        };
        connect(&manager, &LifecycleManager::stateChanged, this, record);
        connect(&manager, &LifecycleManager::shuttingDownChanged, this, record);
        connect(&manager, &LifecycleManager::remainingMsChanged, this, record);
        connect(&manager, &LifecycleManager::shutdownReasonChanged, this, record);
        canstop::SessionToken held = manager.holdSession(QStringLiteral("job"));
        manager.requestShutdownWithReason(QStringLiteral("now"));
        QCOMPARE(seen.size(), 4);
        for (const QString &values : std::as_const(seen))
            QCOMPARE(values, QStringLiteral("2 1 1 now")); // Stopping, true, counting, "now"
        held.reset();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
    }

    void activeSessionsIsExactInTheManagersThread()
    {
        TestManager manager;
        QObject session;
        QVERIFY(manager.trackSession(&session));
        QCOMPARE(manager.activeSessions(), 1);
        canstop::SessionToken token = manager.holdSession(QStringLiteral("job"));
        QCOMPARE(manager.activeSessions(), 2);
        QCOMPARE(manager.bindableActiveSessions().value(), 2);
    }

    void destroyedDuringItsShutdownSaysSo()
    {
        auto manager = std::make_unique<LifecycleManager>();
        manager->setAutoExit(false);
        canstop::SessionToken held = manager->holdSession(QStringLiteral("upload"));
        manager->requestShutdown();
        QTest::ignoreMessage(QtCriticalMsg,
                             QRegularExpression(QStringLiteral(
                                 "^LifecycleManager destroyed during its shutdown; still "
                                 "pending: 1 session\\(s\\): upload$")));
        manager.reset();
        held.reset(); // the gate outlives the manager
    }

    // Last: QCoreApplication::exit() leaves every later event loop in this
    // thread returning at once, as it does in a real program.
    void autoExitEndsTheEventLoop()
    {
        LifecycleManager manager;
        QEventLoop loop;
        QTimer::singleShot(0, &manager, [&manager] { manager.requestShutdown(4); });
        // A guard so a broken sequence fails instead of hanging.
        QTimer::singleShot(10000, &loop, [&loop] { loop.exit(-1); });
        QCOMPARE(loop.exec(), 4);
    }
};

CANSTOP_TEST_MAIN(TestLifecycleManager)
#include "tst_lifecyclemanager.moc"
