// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The hard stop alone, with plain std::threads as the signal senders and an
// exit that records instead of ending the test: the rules for a second
// signal, a duplicate, a signal after the end, and a missed deadline.
#include "common/testmain.h"
#include "hardstop_p.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <csignal>
#include <mutex>
#include <thread>

using namespace canstop;
using namespace std::chrono_literals;

namespace {

// What the hard stop would have done, in the order it did it.
class Exits
{
public:
    HardStop::Exit recorder()
    {
        return [this](int code, const QString &message) {
            std::lock_guard lock(m_mutex);
            m_codes.append(code);
            m_messages.append(message);
        };
    }
    QList<int> codes() const
    {
        std::lock_guard lock(m_mutex);
        return m_codes;
    }
    QString lastMessage() const
    {
        std::lock_guard lock(m_mutex);
        return m_messages.isEmpty() ? QString() : m_messages.last();
    }

private:
    mutable std::mutex m_mutex;
    QList<int> m_codes;
    QStringList m_messages;
};

QString pending()
{
    return QStringLiteral("service \"db\"");
}

} // namespace

class TestHardStop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void duplicateIsIgnoredSecondSignalEnds()
    {
        Exits exits;
        HardStop hardStop(pending, exits.recorder());
        QVERIFY(hardStop.receiveSignals());
        // A wrapper forwarding the terminal's SIGINT: the same signal twice, at once.
        std::thread first([] { HardStop::signalArrived(SIGINT); });
        std::thread duplicate([] { HardStop::signalArrived(SIGINT); });
        first.join();
        duplicate.join();
        QElapsedTimer clock;
        clock.start();
        // Signals keep coming; only those past the window count as a second one.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::thread([] { HardStop::signalArrived(SIGINT); }).join();
                return !exits.codes().isEmpty();
            }(),
            10000);
        QVERIFY(clock.elapsed() >= 50); // nothing within the window ended it
        QCOMPARE(exits.codes(), QList<int>{130});
        QCOMPARE(exits.lastMessage(),
                 QStringLiteral("second SIGINT during the shutdown: exiting now with 130; still "
                                "pending: service \"db\""));
    }

    void secondSignalEndsTheLameDuckThirdExits()
    {
        Exits exits;
        HardStop hardStop(pending, exits.recorder());
        QVERIFY(hardStop.receiveSignals());
        QVERIFY(!hardStop.terminationSignalled());
        std::atomic<int> skipped{0};
        hardStop.begin();
        hardStop.setLameDuck(true, [&skipped] { ++skipped; });
        std::thread([] { HardStop::signalArrived(SIGTERM); }).join(); // the first: joins
        QVERIFY(hardStop.terminationSignalled()); // at once, before any thread acted
        // Past the duplicate window, each signal is the next one.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::thread([] { HardStop::signalArrived(SIGTERM); }).join();
                return skipped > 0;
            }(),
            10000);
        QCOMPARE(int(skipped), 1);
        QVERIFY(exits.codes().isEmpty()); // the lame duck ended, not the process
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::thread([] { HardStop::signalArrived(SIGTERM); }).join();
                return !exits.codes().isEmpty();
            }(),
            10000);
        QCOMPARE(exits.codes(), QList<int>{143});
        QCOMPARE(int(skipped), 1);
    }

    // Child processes it was given are killed before it ends the process,
    // and the message says so.
    void childrenAreKilledFirst()
    {
        QProcess child;
        child.start(QStringLiteral("sleep"), {QStringLiteral("60")});
        QVERIFY(child.waitForStarted(10000));
        Exits exits;
        HardStop hardStop([] { return QString(); }, exits.recorder());
        QVERIFY(hardStop.receiveSignals());
        hardStop.setChildren({child.processId()});
        hardStop.begin();
        hardStop.finished();
        std::thread([] { HardStop::signalArrived(SIGTERM); }).join();
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{143}, 10000);
        QCOMPARE(exits.lastMessage(),
                 QStringLiteral("SIGTERM after the shutdown finished: exiting now with 143; "
                                "killed 1 child process(es) first"));
        QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QCOMPARE(child.exitCode(), SIGKILL);
    }

    void signalAfterTheEndExitsAtOnce()
    {
        Exits exits;
        HardStop hardStop([] { return QString(); }, exits.recorder());
        QVERIFY(hardStop.receiveSignals());
        hardStop.begin();
        hardStop.finished();
        std::thread([] { HardStop::signalArrived(SIGTERM); }).join();
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{143}, 10000);
        QCOMPARE(exits.lastMessage(),
                 QStringLiteral("SIGTERM after the shutdown finished: exiting now with 143"));
    }

    void missedDeadlineExitsWithOne()
    {
        Exits exits;
        HardStop hardStop(pending, exits.recorder());
        hardStop.setTimeout(100ms);
        QElapsedTimer clock;
        clock.start();
        const QDeadlineTimer deadline = hardStop.begin();
        QVERIFY(deadline.remainingTime() <= 100);
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{1}, 10000);
        QVERIFY2(clock.elapsed() >= 100 + HardStop::Grace.count() - 20,
                 qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(exits.lastMessage(),
                 QStringLiteral("the shutdown did not finish by its deadline (+500 ms grace): "
                                "exiting now with 1; still pending: service \"db\""));
    }

    void firstSignalStartsTheDeadline()
    {
        // The main thread never begins: the deadline counts from the signal.
        Exits exits;
        HardStop hardStop(pending, exits.recorder());
        hardStop.setTimeout(100ms);
        QVERIFY(hardStop.receiveSignals());
        std::thread([] { HardStop::signalArrived(SIGTERM); }).join();
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{1}, 10000);
        QVERIFY(exits.lastMessage().startsWith(QStringLiteral("the shutdown did not finish")));
    }

    void finishedDisarmsTheDeadline()
    {
        Exits exits;
        HardStop hardStop(pending, exits.recorder());
        hardStop.setTimeout(10ms);
        QVERIFY(hardStop.receiveSignals());
        hardStop.begin();
        hardStop.finished(); // the application goes on (autoExit off)
        hardStop.execReturned();
        // Past the deadline and its grace, nothing has happened; a signal still acts.
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() > 10 + HardStop::Grace.count() + 200, 10000);
        QVERIFY(exits.codes().isEmpty());
        std::thread([] { HardStop::signalArrived(SIGINT); }).join();
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{130}, 10000);
    }

    // On its way out with the report's code, exec() returned, the process
    // is still there at the deadline (its cleanup blocks): it ends then,
    // with that code, though the hard stop itself is gone.
    void aProcessHeldUpInItsCleanupEndsByTheDeadline()
    {
        Exits exits;
        QElapsedTimer clock;
        clock.start();
        {
            HardStop hardStop([] { return QString(); }, exits.recorder());
            hardStop.setTimeout(100ms);
            hardStop.begin();
            hardStop.finished(3);
            hardStop.execReturned();
        }
        QTRY_COMPARE_WITH_TIMEOUT(exits.codes(), QList<int>{3}, 10000);
        QVERIFY2(clock.elapsed() >= 100 + HardStop::Grace.count() - 20,
                 qPrintable(QString::number(clock.elapsed())));
        QVERIFY2(exits.lastMessage().startsWith(QStringLiteral(
                     "the shutdown finished, but the process had not ended by its deadline")),
                 qPrintable(exits.lastMessage()));
        QVERIFY(exits.lastMessage().endsWith(QStringLiteral("exiting now with 3")));
    }
};

CANSTOP_TEST_MAIN(TestHardStop)
#include "tst_hardstop.moc"
