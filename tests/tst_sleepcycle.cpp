// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The sleep cycle, fed by hand: the announcement, holds, logind's clamp
// and the resume, as the manager passes them on from logind.
#include "common/testmain.h"
#include "sleepcycle_p.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using canstop::SleepCycle;

class TestSleepCycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void nothingHeldProceedsAtOnce()
    {
        SleepCycle sleep;
        QSignalSpy proceed(&sleep, &SleepCycle::mayProceed);
        QSignalSpy changed(&sleep, &SleepCycle::changed);
        sleep.prepare();
        QVERIFY(sleep.isSleeping());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(proceed.count(), 1);
        sleep.expire(); // logind's clamp after the fact: nothing more
        QCOMPARE(proceed.count(), 1);
    }

    // A slot of aboutToSleep() holds the sleep; it proceeds with the last
    // release, not before.
    void holdsKeepItWaiting()
    {
        SleepCycle sleep;
        QSignalSpy proceed(&sleep, &SleepCycle::mayProceed);
        QVERIFY(sleep.hold(QStringLiteral("draft"))); // taken before: counts too
        connect(&sleep, &SleepCycle::aboutToSleep, this,
                [&sleep] { QVERIFY(sleep.hold(QStringLiteral("sync"))); });
        sleep.prepare();
        QCOMPARE(proceed.count(), 0);
        QVERIFY(sleep.release(QStringLiteral("sync")));
        QCOMPARE(proceed.count(), 0);
        QVERIFY(sleep.release(QStringLiteral("draft")));
        QCOMPARE(proceed.count(), 1);
        QVERIFY(sleep.isSleeping()); // until the resume
    }

    // logind waits no longer: it proceeds, and a warning names the holds.
    void clampNamesWhatStillHolds()
    {
        SleepCycle sleep;
        QSignalSpy proceed(&sleep, &SleepCycle::mayProceed);
        QVERIFY(sleep.hold(QStringLiteral("upload")));
        sleep.prepare();
        QTest::ignoreMessage(QtWarningMsg, "the system sleeps now, still held by: upload");
        sleep.expire();
        QCOMPARE(proceed.count(), 1);
        QVERIFY(sleep.release(QStringLiteral("upload"))); // late: nothing more
        QCOMPARE(proceed.count(), 1);
    }

    // The time awake between the announcement and the resume is not sleep:
    // only the machine's suspended time counts (none here).
    void resumeSaysHowLongItSlept()
    {
        SleepCycle sleep;
        QSignalSpy resumed(&sleep, &SleepCycle::resumed);
        QSignalSpy changed(&sleep, &SleepCycle::changed);
        sleep.resume(); // not sleeping: nothing
        QCOMPARE(resumed.count(), 0);
        sleep.prepare();
        QTest::qWait(300); // awake all along
        sleep.resume();
        QVERIFY(!sleep.isSleeping());
        QCOMPARE(changed.count(), 2);
        QCOMPARE(resumed.count(), 1);
        const qint64 slept = resumed.at(0).at(0).toLongLong();
        QVERIFY2(slept >= 0 && slept < 100, QByteArray::number(slept));

        // And the next sleep is a new cycle.
        QSignalSpy proceed(&sleep, &SleepCycle::mayProceed);
        sleep.prepare();
        QCOMPARE(proceed.count(), 1);
    }

    void badHolds()
    {
        SleepCycle sleep;
        QTest::ignoreMessage(QtWarningMsg, "holdSleep(): refused: say what holds it");
        QVERIFY(!sleep.hold(QString()));
        QTest::ignoreMessage(QtWarningMsg,
                             "releaseSleep(\"nothing\"): refused: nothing by that name holds it");
        QVERIFY(!sleep.release(QStringLiteral("nothing")));
    }
};

CANSTOP_TEST_MAIN(TestSleepCycle)
#include "tst_sleepcycle.moc"
