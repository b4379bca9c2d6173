// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// A future as a session, fed by hand: futures made and finished by
// QPromise, a stop requested by a StopSource; a manager only hands out the
// session tokens and counts them.
#include "common/testmanager.h"
#include "stopsource_p.h"
#include "trackedfuture_p.h"

#include <QPointer>
#include <QPromise>
#include <QRegularExpression>
#include <QTest>
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

    QPointer<TrackedFuture> track(const QFuture<void> &future, bool cancelAtStop)
    {
        return new TrackedFuture(future, manager.holdSession(QStringLiteral("job")), stop.token(),
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
};

QTEST_GUILESS_MAIN(TestTrackedFuture)
#include "tst_trackedfuture.moc"
