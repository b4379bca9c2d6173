// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// A future as a session, fed by hand: futures made and finished by
// QPromise, a stop requested by a StopSource; a manager only hands out the
// session tokens and counts them.
#include "common/testmain.h"
#include "common/testmanager.h"
#include "stopsource_p.h"
#include "trackedfuture_p.h"

#include <QPointer>
#include <QPromise>
#include <QRegularExpression>
#include <QTest>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>

using canstop::StopSource;
using canstop::TrackedFuture;

namespace {

struct Fixture
{
    TestManager manager;
    std::atomic<int> signalCount{0};
    StopSource stop{&signalCount};

    QPointer<TrackedFuture> track(const QFuture<void> &future, bool cancelAtStop,
                                  const QString &what = QStringLiteral("job"))
    {
        return new TrackedFuture(future, what, manager.holdSession(what), stop.token(),
                                 cancelAtStop, &manager);
    }
};

} // namespace

class TestTrackedFuture : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void aSessionUntilItFinishes()
    {
        Fixture f;
        QPromise<void> promise;
        promise.start();
        const QPointer<TrackedFuture> tracked = f.track(promise.future(), false);
        QCoreApplication::processEvents();
        QCOMPARE(f.manager.activeSessions(), 1);
        promise.finish();
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(tracked.isNull(), 10000);
    }

    void alreadyFinished()
    {
        Fixture f;
        QPromise<void> promise;
        promise.start();
        promise.finish();
        const QPointer<TrackedFuture> tracked = f.track(promise.future(), false);
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(tracked.isNull(), 10000);
    }

    // Awaited: the stop does not touch it.
    void awaitedAtTheStop()
    {
        Fixture f;
        QPromise<void> promise;
        promise.start();
        f.track(promise.future(), false);
        bool heard = false; // after the tracked future's own callback, if it had one
        QVERIFY(f.stop.token().onStopRequested(&f.manager, [&heard] { heard = true; }));
        f.stop.requestStop();
        QTRY_VERIFY_WITH_TIMEOUT(heard, 10000);
        QVERIFY(!promise.isCanceled());
        QCOMPARE(f.manager.activeSessions(), 1);
        promise.finish();
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
    }

    // Cancelled at the stop, and a session until its work has returned.
    void cancelledAtTheStop()
    {
        Fixture f;
        QPromise<void> promise;
        promise.start();
        f.track(promise.future(), true);
        QVERIFY(!promise.isCanceled());
        f.stop.requestStop();
        QTRY_VERIFY_WITH_TIMEOUT(promise.isCanceled(), 10000);
        QCOMPARE(f.manager.activeSessions(), 1); // the producer has not returned
        promise.finish();
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
    }

    // A QtConcurrent task and its continuation: the session lasts until
    // the continuation has run.
    void continuationsAreFollowed()
    {
        Fixture f;
        std::atomic<bool> release{false};
        std::atomic<bool> continued{false};
        const QFuture<void> chain = QtConcurrent::run([&release] {
                                        while (!release.load())
                                            QThread::yieldCurrentThread();
                                        return 42;
                                    }).then([&continued](int answer) { continued = answer == 42; });
        f.track(chain, false);
        QCOMPARE(f.manager.activeSessions(), 1);
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
        QVERIFY(continued.load());
    }

    // What QThreadPool::clear() removed is never finished by Qt: ended by
    // name once the pool is idle. Tasks that ran, futures of no pool or of
    // another pool, and a continuation not yet queued are left alone.
    void neverStartedEndsWhatThePoolRemoved()
    {
        Fixture f;
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        QThreadPool other;
        std::atomic<bool> release{false};
        f.track(QtConcurrent::run(&pool,
                                  [&release] {
                                      while (!release.load())
                                          QThread::msleep(1);
                                  }),
                false, QStringLiteral("ran"));
        f.track(QtConcurrent::run(&pool, [] {}), false, QStringLiteral("removed 1"));
        QPromise<int> parent;
        parent.start();
        f.track(parent.future().then(&pool, [](int) {}), false, QStringLiteral("continuation"));
        f.track(QtConcurrent::run(&pool, [] {}), false, QStringLiteral("removed 2"));
        QPromise<void> unpooled;
        unpooled.start();
        f.track(unpooled.future(), false, QStringLiteral("no pool"));
        other.setMaxThreadCount(1);
        std::atomic<bool> releaseOther{false};
        f.track(QtConcurrent::run(&other,
                                  [&releaseOther] {
                                      while (!releaseOther.load())
                                          QThread::msleep(1);
                                  }),
                false, QStringLiteral("other pool"));
        QCOMPARE(f.manager.activeSessions(), 6);

        pool.clear();
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(pool.activeThreadCount(), 0, 10000);
        QCOMPARE(TrackedFuture::endNeverStarted(&f.manager, &pool),
                 QStringList({QStringLiteral("removed 1"), QStringLiteral("removed 2")}));
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 3, 10000); // "ran" ended too
        QCOMPARE(TrackedFuture::endNeverStarted(&f.manager, &pool), QStringList());

        parent.addResult(1); // the continuation is queued on the pool now, and runs
        parent.finish();
        releaseOther = true;
        unpooled.finish();
        QTRY_COMPARE_WITH_TIMEOUT(f.manager.activeSessions(), 0, 10000);
    }
};

CANSTOP_TEST_MAIN(TestTrackedFuture)
#include "tst_trackedfuture.moc"
