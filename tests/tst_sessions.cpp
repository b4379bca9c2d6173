// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Sessions: counted from any thread, drained at shutdown, stragglers named.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QElapsedTimer>
#include <QPointer>
#include <QPromise>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using canstop::LifecycleManager;
using namespace std::chrono_literals;

namespace {

// A session that ends itself when asked to stop, and says in which thread.
class Job : public QObject
{
    Q_OBJECT
public:
    explicit Job(std::atomic<int> *stoppedInWorker, QThread *worker)
        : m_stoppedInWorker(stoppedInWorker), m_worker(worker)
    {}
public Q_SLOTS:
    void stop()
    {
        if (QThread::currentThread() == m_worker)
            m_stoppedInWorker->fetch_add(1);
        deleteLater();
    }

private:
    std::atomic<int> *m_stoppedInWorker;
    QThread *m_worker;
};

} // namespace

class TestSessions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void countsUntilDestroyed()
    {
        TestManager manager;
        QSignalSpy changed(&manager, &LifecycleManager::activeSessionsChanged);
        auto *a = new QObject;
        auto *b = new QObject;
        QVERIFY(manager.trackSession(a));
        QVERIFY(manager.trackSession(b));
        QVERIFY(manager.trackSession(a)); // the same object twice is counted once
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 2, 10000);
        delete a;
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);
        delete b;
        QCOMPARE(manager.activeSessions(), 0);                             // the count now, exactly
        QTRY_COMPARE_WITH_TIMEOUT(changed.last().at(0).toInt(), 0, 10000); // the signal follows
    }

    void aChangeInTheManagersThreadIsSeenAtOnce()
    {
        TestManager manager;
        QProperty<int> shown;
        shown.setBinding([&manager] { return manager.bindableActiveSessions().value(); });
        QSignalSpy changed(&manager, &LifecycleManager::activeSessionsChanged);
        auto *session = new QObject;
        QVERIFY(manager.trackSession(session));
        canstop::SessionToken token = manager.holdSession(QStringLiteral("job"));
        QCOMPARE(shown.value(), 2);
        delete session;
        QCOMPARE(shown.value(), 1);
        token.reset();
        QCOMPARE(shown.value(), 0);
        QCOMPARE(changed.count(), 4);
        QCOMPARE(changed.last().at(0).toInt(), 0);
    }

    void sessionsOutliveTheManager()
    {
        std::vector<QObject *> sessions(64);
        {
            TestManager manager;
            for (QObject *&session : sessions) {
                session = new QObject;
                QVERIFY(manager.trackSession(session));
            }
        }
        // Destroyed in other threads once the manager is gone: the last one
        // ends the gate, inside its destroyed() handler.
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&sessions, t] {
                for (size_t i = t; i < sessions.size(); i += 4)
                    delete sessions[i];
            });
        for (std::thread &thread : threads)
            thread.join();
    }

    void nullIsRefused()
    {
        TestManager manager;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("session is null")));
        QVERIFY(!manager.trackSession(nullptr));
    }

    void gateRefusesAfterShutdownBegan()
    {
        TestManager manager;
        canstop::SessionToken running = manager.holdSession(QStringLiteral("running"));
        manager.requestShutdown();
        QObject late;
        late.setObjectName(QStringLiteral("late"));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("QObject refused")));
        QVERIFY(!manager.trackSession(&late));
        // Told by the return value: one line per shutdown, not one per call.
        QVERIFY(!manager.holdSession(QStringLiteral("upload")).isValid());
        QVERIFY(!manager.trackSession(&late));
        // The caller's object is untouched: same name, no parent, alive.
        QCOMPARE(late.objectName(), QStringLiteral("late"));
        QCOMPARE(late.parent(), nullptr);
        QCOMPARE(manager.activeSessions(), 1);
        running.reset();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^3 session\\(s\\) in all were refused")));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
    }

    void drainEndsWhenTheLastSessionGoes()
    {
        TestManager manager;
        auto *connection = new QObject;
        QVERIFY(manager.trackSession(connection));
        manager.requestShutdown();
        QCOMPARE(manager.state(), LifecycleManager::State::Stopping);

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        QElapsedTimer clock;
        clock.start();
        QTimer::singleShot(100, connection, [connection] { delete connection; });
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        // Event-driven: the drain ends with the session, not at the 30 s deadline.
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(manager.report().sessionsDrained(), 1);
        QCOMPARE(manager.report().sessionsAbandoned(), 0);
        QCOMPARE(manager.report().exitCode(), 0);
    }

    void stopIsInvokedInTheSessionsThread()
    {
        TestManager manager;
        QThread worker;
        canstop::test::startThread(worker);
        // Each job ends itself from its stop(), in the worker thread, while
        // the drain is counting.
        constexpr int Jobs = 200;
        std::atomic<int> stoppedInWorker{0};
        for (int i = 0; i < Jobs; ++i) {
            auto *job = new Job(&stoppedInWorker, &worker);
            job->moveToThread(&worker);
            QVERIFY(manager.trackSession(job));
        }
        std::atomic<int> stoppedInMain{0};
        QVERIFY(manager.trackSession(new Job(&stoppedInMain, QThread::currentThread())));

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(stoppedInWorker.load(), Jobs);
        QCOMPARE(stoppedInMain.load(), 1);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), Jobs + 1);
        QCOMPARE(manager.activeSessions(), 0);
        worker.quit();
        worker.wait();
    }

    void stragglersAreNamed()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(200ms));
        QObject connection;
        connection.setObjectName(QStringLiteral("client-42"));
        QVERIFY(manager.trackSession(&connection));
        QTimer timer;
        QVERIFY(manager.trackSession(&timer));
        canstop::SessionToken token = manager.holdSession(QStringLiteral("export"));

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "3 session\\(s\\) still open at the shutdown deadline")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        const QStringList names = manager.report().abandonedSessions();
        QCOMPARE(names.size(), 3);
        QVERIFY(names.contains(QStringLiteral("QObject(client-42)")));
        QVERIFY(names.contains(QStringLiteral("QTimer")));
        QVERIFY(names.contains(QStringLiteral("export")));
        QCOMPARE(manager.report().sessionsAbandoned(), 3);
    }

    // holdShutdown(): a session the manager owns as an object. Released,
    // it ends and goes; forgotten, it is waited for and named; refused once
    // the shutdown has begun, it holds nothing and still goes on release.
    void shutdownHoldsAreSessionObjects()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(300ms));
        QPointer<canstop::ShutdownHold> saved = manager.holdShutdown(QStringLiteral("saving"));
        QVERIFY(saved->isHeld());
        QCOMPARE(saved->parent(), &manager);
        QSignalSpy heldChanged(saved.data(), &canstop::ShutdownHold::heldChanged);
        QCOMPARE(manager.activeSessions(), 1);
        saved->release();
        saved->release(); // again: nothing
        QCOMPARE(heldChanged.count(), 1);
        QCOMPARE(manager.activeSessions(), 0);
        QTRY_VERIFY(saved.isNull());

        const QPointer<canstop::ShutdownHold> forgotten =
            manager.holdShutdown(QStringLiteral("unsaved note"));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "1 session\\(s\\) still open at the shutdown deadline")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("refused")));
        QPointer<canstop::ShutdownHold> late = manager.holdShutdown(QStringLiteral("late"));
        QVERIFY(!late->isHeld());
        late->release();
        QTRY_VERIFY(late.isNull());
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().abandonedSessions(), QStringList{QStringLiteral("unsaved note")});
        QVERIFY(!forgotten.isNull()); // the manager's until released
    }

    void aStragglerInAnotherThreadIsNamedAsTracked()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(200ms));
        QThread worker;
        canstop::test::startThread(worker);
        auto *upload = new QObject;
        upload->setObjectName(QStringLiteral("upload-7"));
        upload->moveToThread(&worker);
        QVERIFY(manager.trackSession(upload));

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "1 session\\(s\\) still open at the shutdown deadline")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().abandonedSessions(),
                 QStringList{QStringLiteral("QObject(upload-7)")});
        upload->deleteLater();
        worker.quit();
        worker.wait();
    }

    // Futures as sessions: one that ends at the stop token is drained, one
    // cancelled at the shutdown ends when its producer sees the cancel, one
    // that never finishes is named at the deadline; any result type, from
    // any thread.
    void futuresAreSessions()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(1500ms));
        QTRY_COMPARE(manager.state(), LifecycleManager::State::Running);
        QThreadPool pool;
        pool.setMaxThreadCount(2);
        const QFuture<int> counting = QtConcurrent::run(&pool, [token = manager.stopToken()] {
            while (!token.isStopRequested())
                QThread::msleep(10); // a step of the work
            return 42;               // a result of any type
        });
        QVERIFY(manager.trackFuture(counting, QStringLiteral("counting")));

        QPromise<void> cancellable;
        cancellable.start();
        QVERIFY(manager.trackFuture(cancellable.future(), QStringLiteral("cancellable"),
                                    LifecycleManager::FutureAtShutdown::Cancel));
        QPromise<void> stuck; // never finished before the deadline
        stuck.start();
        bool tracked = false;
        std::thread([&] {
            tracked = manager.trackFuture(stuck.future(), QStringLiteral("stuck upload"));
        }).join();
        QVERIFY(tracked);
        QCOMPARE(manager.activeSessions(), 3);

        // The producer of the cancellable future stops when it sees the cancel.
        QTimer producer;
        connect(&producer, &QTimer::timeout, &producer, [&] {
            if (cancellable.isCanceled()) {
                cancellable.finish();
                producer.stop();
            }
        });
        producer.start(10ms);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "1 session\\(s\\) still open at the shutdown deadline")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(!stuck.isCanceled()); // awaited, not cancelled
        QCOMPARE(manager.report().abandonedSessions(), QStringList{QStringLiteral("stuck upload")});
        QCOMPARE(manager.report().sessionsDrained(), 2);
        stuck.finish();
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        QPromise<void> late;
        late.start();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("refused")));
        QVERIFY(!manager.trackFuture(late.future(), QStringLiteral("too late")));
        late.finish();
    }

    void tokenMovesAcrossThreads()
    {
        TestManager manager;
        canstop::SessionToken token = manager.holdSession(QStringLiteral("job"));
        QVERIFY(token);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);

        canstop::SessionToken moved = std::move(token);
        QVERIFY(!token.isValid());
        QVERIFY(moved.isValid());
        std::thread([t = std::move(moved)]() mutable { t.reset(); }).join();
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        canstop::SessionToken other = manager.holdSession(QStringLiteral("other"));
        std::thread([t = std::move(other)] {}).join(); // destroyed in the thread
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        canstop::SessionToken assigned = manager.holdSession(QStringLiteral("a"));
        assigned = manager.holdSession(QStringLiteral("b")); // the first ends here
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);
    }

    void sessionHeldUnderAnotherAfterTheGateClosed()
    {
        TestManager manager;
        canstop::SessionToken queue = manager.holdSession(QStringLiteral("queue"));
        manager.requestShutdown();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("refused")));
        QVERIFY(!manager.holdSession(QStringLiteral("too late")).isValid());
        canstop::SessionToken late = queue.hold(QStringLiteral("late connection"));
        QVERIFY(late.isValid());
        QVERIFY(!canstop::SessionToken().hold(QStringLiteral("from nothing")).isValid());
        queue.reset(); // the one it was held under ends; it still counts
        QVERIFY(!queue.hold(QStringLiteral("after the end")).isValid());
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 1, 10000);
        QCOMPARE(manager.state(), LifecycleManager::State::Stopping);

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "1 session\\(s\\) abandoned: late connection "
                                               "\\(cut at the deadline\\)")));
        late.abandon(QStringLiteral("cut at the deadline"));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
        QCOMPARE(manager.report().sessionsDrained(), 1);
        QCOMPARE(manager.report().abandonedSessions(),
                 QStringList{QStringLiteral("late connection (cut at the deadline)")});
        QCOMPARE(manager.report().exitCode(), 1);
    }

    void abandonBeforeAShutdownIsARelease()
    {
        TestManager manager;
        canstop::SessionToken job = manager.holdSession(QStringLiteral("job"));
        job.abandon(QStringLiteral("gave up"));
        QVERIFY(!job.isValid());
        QCOMPARE(manager.activeSessions(), 0);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    void tokenOutlivesManager()
    {
        canstop::SessionToken token;
        {
            TestManager manager;
            token = manager.holdSession(QStringLiteral("outlives"));
            auto *object = new QObject;
            QVERIFY(manager.trackSession(object));
            QTimer::singleShot(0, object, [object] { delete object; });
        }
        token.reset(); // must not touch the dead manager
        QVERIFY(!token.isValid());
    }

    void fourThreadsWhileShutdownStarts()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(60s));
        constexpr int PerThread = 100000;
        std::atomic<int> refused{0};
        std::atomic<int> trackedAfterClose{0};
        std::atomic<bool> closed{false};
        std::atomic<int> tracked{0};

        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < PerThread; ++i) {
                    auto *session = new QObject;
                    const bool wasClosed = closed.load();
                    if (manager.trackSession(session)) {
                        tracked.fetch_add(1);
                        if (wasClosed)
                            trackedAfterClose.fetch_add(1);
                    } else {
                        refused.fetch_add(1);
                    }
                    delete session;
                }
            });
        }
        // Close the gate while the threads are in full swing: the first
        // refusal is logged, and the count when the shutdown ends.
        QTRY_VERIFY_WITH_TIMEOUT(tracked.load() > 4000, 10000);
        static std::mutex logged;
        static QStringList warnings;
        const auto handler = qInstallMessageHandler(
            [](QtMsgType type, const QMessageLogContext &, const QString &message) {
                const std::lock_guard lock(logged);
                if (type == QtWarningMsg)
                    warnings.append(message);
            });
        // Held until the threads are done, so every refusal comes before the end.
        canstop::SessionToken running = manager.holdSession(QStringLiteral("running"));
        manager.requestShutdown();
        closed.store(true);
        for (auto &thread : threads)
            thread.join();
        running.reset();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 60000);
        qInstallMessageHandler(handler);

        QCOMPARE(trackedAfterClose.load(), 0);
        QCOMPARE(manager.activeSessions(), 0);
        QVERIFY(manager.report().isClean());
        QVERIFY(refused.load() > 1);
        const std::lock_guard lock(logged);
        QCOMPARE(warnings.size(), 2);
        QVERIFY2(warnings.first().contains(QStringLiteral("refused: the shutdown has begun")),
                 qPrintable(warnings.first()));
        QCOMPARE(warnings.last(),
                 QStringLiteral("%1 session(s) in all were refused after the shutdown began")
                     .arg(refused.load()));
    }
};

CANSTOP_TEST_MAIN(TestSessions)
#include "tst_sessions.moc"
