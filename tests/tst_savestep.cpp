// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The "save now" step, fed by hand: a logout's save with and without
// asking the user, questions answered later (the nested wait), a cancel,
// an unanswered question.
#include "common/testmain.h"
#include "savestep_p.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using canstop::SaveStep;
using namespace std::chrono_literals;

class TestSaveStep : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // Without asking: the signal, and no question may be asked.
    void withoutAsking()
    {
        SaveStep step;
        QSignalSpy requested(&step, &SaveStep::saveRequested);
        bool held = true;
        connect(&step, &SaveStep::saveRequested, this, [&] {
            QTest::ignoreMessage(
                QtWarningMsg, QRegularExpression(
                                  QStringLiteral("holdSessionEnd\\(\\): refused: only in a slot")));
            held = step.hold(QStringLiteral("notes.txt"));
        });
        QVERIFY(step.run(false));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toBool(), false);
        QVERIFY(!held);
    }

    // A question answered later (a dialog): the step waits for it, with
    // the event loop running, and the session's end goes on.
    void questionsAreAwaited()
    {
        SaveStep step;
        bool answered = false;
        connect(&step, &SaveStep::saveRequested, this, [&](bool mayAsk) {
            QVERIFY(mayAsk);
            QVERIFY(step.hold(QStringLiteral("notes.txt")));
            QVERIFY(step.hold(QStringLiteral("todo.txt")));
            QTimer::singleShot(50ms, this,
                               [&] { QVERIFY(step.release(QStringLiteral("notes.txt"))); });
            QTimer::singleShot(100ms, this, [&] {
                answered = true;
                QVERIFY(step.release(QStringLiteral("todo.txt")));
            });
        });
        QVERIFY(step.run(true));
        QVERIFY(answered); // not before the last answer
    }

    // Cancel: the logout is cancelled at once, other questions or not.
    void cancelEndsTheWait()
    {
        SaveStep step;
        connect(&step, &SaveStep::saveRequested, this, [&] {
            QVERIFY(step.hold(QStringLiteral("notes.txt")));
            QVERIFY(step.hold(QStringLiteral("todo.txt")));
            QTimer::singleShot(50ms, this, [&] { QVERIFY(step.cancel()); });
        });
        QElapsedTimer clock;
        clock.start();
        QVERIFY(!step.run(true));
        QVERIFY(clock.elapsed() < 30000);                          // not the answer timeout
        QCOMPARE(step.release(QStringLiteral("todo.txt")), false); // late: the step is over

        // The next step starts afresh.
        QObject::disconnect(&step, &SaveStep::saveRequested, this, nullptr);
        QVERIFY(step.run(true));
    }

    // Nobody answers: the session ends all the same, naming the question.
    void unansweredTimesOut()
    {
        SaveStep step(200ms);
        connect(&step, &SaveStep::saveRequested, this,
                [&] { QVERIFY(step.hold(QStringLiteral("unsaved note"))); });
        QTest::ignoreMessage(QtWarningMsg,
                             "no answer within 200 ms from: unsaved note; the session ends");
        QVERIFY(step.run(true));
    }

    void badCalls()
    {
        SaveStep step;
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral("cancelSessionEnd\\(\\): too late")));
        QVERIFY(!step.cancel());
        connect(&step, &SaveStep::saveRequested, this, [&] {
            QTest::ignoreMessage(QtWarningMsg,
                                 "requestSave(): refused: a save step is already under way");
            QVERIFY(step.run(true)); // from inside a step: refused, not cancelled
            QTest::ignoreMessage(QtWarningMsg, "holdSessionEnd(): refused: say what holds it");
            QVERIFY(!step.hold(QString()));
            QTest::ignoreMessage(
                QtWarningMsg,
                "releaseSessionEnd(\"nothing\"): refused: nothing by that name holds it");
            QVERIFY(!step.release(QStringLiteral("nothing")));
        });
        QVERIFY(step.run(true));
    }
};

CANSTOP_TEST_MAIN(TestSaveStep)
#include "tst_savestep.moc"
