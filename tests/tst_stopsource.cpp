// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The stop token alone, driven by feeding its source events: no manager,
// no signals (a counter stands for the hard stop's).
#include "common/testmain.h"
#include "stopsource_p.h"

#include <QRegularExpression>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>
#include <thread>

using canstop::StopSource;
using canstop::StopToken;

class TestStopSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void defaultTokenNeverStops()
    {
        const StopToken token;
        QVERIFY(!token.stopPossible());
        QVERIFY(!token.isStopRequested());
        QObject context;
        QVERIFY(!token.onStopRequested(&context, [] {}));
    }

    void everyCopyStopsAtOnce()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        const StopToken token = source.token();
        StopToken copy = token;
        QVERIFY(copy.stopPossible());
        QVERIFY(!copy.isStopRequested());
        source.requestStop();
        QVERIFY(token.isStopRequested());
        QVERIFY(copy.isStopRequested());
        copy = StopToken();
        QVERIFY(!copy.isStopRequested());
    }

    // A loop in another thread, with no event loop, sees the stop.
    void seenInAnotherThread()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        std::atomic<bool> looping{false};
        std::atomic<long> turns{0};
        std::thread worker([token = source.token(), &looping, &turns] {
            looping = true;
            while (!token.isStopRequested())
                turns.fetch_add(1, std::memory_order_relaxed);
        });
        QTRY_VERIFY_WITH_TIMEOUT(looping.load(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(turns.load() > 0, 10000);
        source.requestStop();
        worker.join(); // returns only if the loop saw it
        QVERIFY(turns.load() > 0);
    }

    // Signals count only once followed, and from the instant they are
    // counted, before anyone has requested the stop.
    void signalsStopItOnceFollowed()
    {
        std::atomic<int> signalCount{3}; // signals before this source existed
        StopSource source(&signalCount);
        const StopToken token = source.token();
        QVERIFY(!token.isStopRequested());
        ++signalCount;
        QVERIFY(!token.isStopRequested()); // not followed yet
        source.followSignals();
        QVERIFY(!token.isStopRequested());
        ++signalCount;
        QVERIFY(token.isStopRequested());
    }

    // Once, in the context's thread, never inside the call that stops.
    void callbackRunsOnceInTheContextsThread()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        QThread thread;
        auto *context = new QObject; // deleted in its thread, as it ends
        context->moveToThread(&thread);
        connect(&thread, &QThread::finished, context, &QObject::deleteLater);
        canstop::test::startThread(thread);
        std::atomic<int> calls{0};
        std::atomic<QThread *> ranIn{nullptr};
        QVERIFY(source.token().onStopRequested(context, [&] {
            ranIn = QThread::currentThread();
            ++calls;
        }));
        QObject here;
        int callsHere = 0;
        QVERIFY(source.token().onStopRequested(&here, [&callsHere] { ++callsHere; }));
        source.requestStop();
        QCOMPARE(callsHere, 0); // queued: not inside requestStop()
        source.requestStop();
        QTRY_COMPARE_WITH_TIMEOUT(callsHere, 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 10000);
        QCOMPARE(ranIn.load(), &thread);
        QCoreApplication::processEvents();
        QCOMPARE(callsHere, 1);
        thread.quit();
        QVERIFY(thread.wait(10000));
        QCOMPARE(calls.load(), 1);
    }

    // Registered after the stop, or after a counted signal: run soon, once.
    void callbackAfterTheStopRunsSoon()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        source.followSignals();
        ++signalCount;
        QObject context;
        int calls = 0;
        QVERIFY(source.token().onStopRequested(&context, [&calls] { ++calls; }));
        QCOMPARE(calls, 0);
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
        source.requestStop(); // the stop the signal leads to: not a second call
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        QCOMPARE(calls, 1);

        int late = 0;
        QVERIFY(source.token().onStopRequested(&context, [&late] { ++late; }));
        QTRY_COMPARE_WITH_TIMEOUT(late, 1, 10000);
    }

    void notCalledOnceTheContextIsGone()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        int calls = 0;
        auto context = std::make_unique<QObject>();
        QVERIFY(source.token().onStopRequested(context.get(), [&calls] { ++calls; }));
        context.reset();
        // Posted, then its context deleted before it ran.
        auto posted = std::make_unique<QObject>();
        QVERIFY(source.token().onStopRequested(posted.get(), [&calls] { ++calls; }));
        source.requestStop();
        posted.reset();
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        QCOMPARE(calls, 0);
    }

    // Tokens outlive their source, and read as stopped once it is gone.
    void stoppedWhenTheSourceIsDestroyed()
    {
        std::atomic<int> signalCount{0};
        auto source = std::make_unique<StopSource>(&signalCount);
        const StopToken token = source->token();
        QObject context;
        int calls = 0;
        QVERIFY(token.onStopRequested(&context, [&calls] { ++calls; }));
        source.reset();
        QVERIFY(token.isStopRequested());
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
        int late = 0;
        QVERIFY(token.onStopRequested(&context, [&late] { ++late; }));
        QTRY_COMPARE_WITH_TIMEOUT(late, 1, 10000);
    }

    void badInput()
    {
        std::atomic<int> signalCount{0};
        StopSource source(&signalCount);
        QObject context;
        QTest::ignoreMessage(QtWarningMsg, "onStopRequested(): refused: the context is null");
        QVERIFY(!source.token().onStopRequested(nullptr, [] {}));
        QTest::ignoreMessage(QtWarningMsg, "onStopRequested(): refused: the functor is empty");
        QVERIFY(!source.token().onStopRequested(&context, {}));
    }
};

CANSTOP_TEST_MAIN(TestStopSource)
#include "tst_stopsource.moc"
