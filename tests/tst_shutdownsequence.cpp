// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The shutdown sequence alone, driven by feeding it events: no manager, no
// application exit.
#include "common/testmain.h"
#include "hardstop_p.h"
#include "serviceentry_p.h"
#include "sessiongate_p.h"
#include "shutdownsequence_p.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <climits>
#include <csignal>
#include <mutex>

using namespace canstop;
using namespace std::chrono_literals;
using Step = ShutdownSequence::Step;
using Outcome = ServiceReport::Outcome;

namespace {

// Stops only when the test says so: the sequence waits for its stopped().
class Manual : public QObject
{
    Q_OBJECT
public:
    explicit Manual(const QString &name) { setObjectName(name); }
public Q_SLOTS:
    void stop() {}
Q_SIGNALS:
    void stopped();
    void failed(const QString &error);
};

struct Fixture
{
    std::shared_ptr<SessionGate> gate = std::make_shared<SessionGate>();
    ShutdownSequence sequence{gate};
    QSignalSpy finished{&sequence, &ShutdownSequence::finished};
    QObject owner;
    std::vector<ServiceEntry *> entries;

    ~Fixture() { gate->detach(); }

    ServiceEntry *add(QObject *service, ServiceOptions options = {})
    {
        auto *entry = new ServiceEntry(service, options, &owner);
        entry->start();
        entries.push_back(entry);
        return entry;
    }

    void begin(std::chrono::milliseconds deadline = 30s, std::chrono::milliseconds lameDuck = 0ms)
    {
        if (lameDuck > 0ms)
            QVERIFY(sequence.setLameDuck(lameDuck));
        sequence.begin(QStringLiteral("test"), 0, QDeadlineTimer(deadline), entries);
    }
};

ServiceOptions late()
{
    ServiceOptions options;
    options.stopAfterSessions = true;
    return options;
}

} // namespace

class TestShutdownSequence : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void allClean()
    {
        Fixture f;
        Manual a(QStringLiteral("a")), b(QStringLiteral("b")), pool(QStringLiteral("pool"));
        ServiceEntry *ea = f.add(&a);
        ServiceEntry *eb = f.add(&b);
        ServiceEntry *epool = f.add(&pool, late());
        // What a hard stop would name while the manager's thread is held up
        // before the sequence, and while it is in the announcement's slots.
        QCOMPARE(f.sequence.pendingDescription(),
                 QStringLiteral("the whole sequence (the manager's thread has not acted on it "
                                "yet)"));
        f.sequence.announcing();
        QVERIFY(f.sequence.pendingDescription().startsWith(
            QStringLiteral("the whole sequence (announced; ")));
        f.begin();
        QCOMPARE(f.sequence.step(), Step::Services);
        QCOMPARE(f.sequence.pendingDescription(),
                 QStringLiteral("service \"b\"; service \"a\"; service \"pool\""));

        f.sequence.serviceEnded(ea); // not its turn yet: ignored
        QCOMPARE(f.sequence.step(), Step::Services);
        f.sequence.serviceEnded(eb);
        f.sequence.serviceEnded(ea);
        QCOMPARE(f.sequence.step(), Step::LateServices); // no sessions to wait for
        QCOMPARE(f.finished.count(), 0);
        f.sequence.serviceEnded(epool);
        QCOMPARE(f.sequence.step(), Step::Done);
        QCOMPARE(f.finished.count(), 1);

        const ShutdownReport report = f.sequence.report();
        QVERIFY(report.isValid());
        QVERIFY(report.isClean());
        QCOMPARE(report.exitCode(), 0);
        QCOMPARE(report.reason(), QStringLiteral("test"));
        QCOMPARE(report.services().size(), 3);
        QCOMPARE(report.services().at(0).name, QStringLiteral("b"));
        QCOMPARE(report.services().at(1).name, QStringLiteral("a"));
        QCOMPARE(report.services().at(2).name, QStringLiteral("pool"));
        QCOMPARE(f.sequence.pendingDescription(), QString());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^holdSession\\(\"after\"\\) refused: the shutdown "
                                               "has begun")));
        QVERIFY(f.gate->hold(QStringLiteral("after")) == 0); // the gate closed
    }

    void lameDuckServesOnThenDrains()
    {
        Fixture f;
        Manual a(QStringLiteral("a"));
        ServiceEntry *ea = f.add(&a);
        QSignalSpy drain(&f.sequence, &ShutdownSequence::drainStarted);
        f.begin(30s, 150ms);
        QCOMPARE(f.sequence.step(), Step::LameDuck);
        QCOMPARE(f.sequence.pendingDescription(),
                 QStringLiteral("the lame duck (serving on); service \"a\""));
        QCOMPARE(drain.count(), 0);
        const quint64 late = f.gate->hold(QStringLiteral("late arrival"));
        QVERIFY(late != 0);       // still admitted
        QVERIFY(ea->isRunning()); // nothing stopped yet

        QVERIFY(drain.wait(10000)); // the lame duck's own timer
        QCOMPARE(f.sequence.step(), Step::Services);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^holdSession\\(\"too "
                                                                             "late\"\\) refused")));
        QVERIFY(f.gate->hold(QStringLiteral("too late")) == 0);
        f.sequence.serviceEnded(ea);
        QCOMPARE(f.sequence.step(), Step::Sessions); // "late arrival" is still held
        f.gate->release(late);
        f.sequence.sessionsChanged();
        QCOMPARE(f.finished.count(), 1);
        QVERIFY(f.sequence.report().phaseMs(ShutdownReport::Phase::LameDuck) >= 140);
    }

    // The lame duck is set before the shutdown, within 0 to INT_MAX ms:
    // anything else is refused with one warning and changes nothing.
    void lameDuckIsSetBeforeTheShutdownOnly()
    {
        Fixture f;
        const QRegularExpression refused(QStringLiteral("^setLameDuck\\(.* ms\\): refused"));
        QTest::ignoreMessage(QtWarningMsg, refused);
        QVERIFY(!f.sequence.setLameDuck(-1ms));
        QTest::ignoreMessage(QtWarningMsg, refused);
        QVERIFY(!f.sequence.setLameDuck(std::chrono::milliseconds(qint64(INT_MAX) + 1)));
        QVERIFY(f.sequence.setLameDuck(500ms));
        f.sequence.announcing();
        QTest::ignoreMessage(QtWarningMsg, refused);
        QVERIFY(!f.sequence.setLameDuck(0ms));
        QCOMPARE(f.sequence.lameDuck(), 500ms);
    }

    void lameDuckIsSkipped()
    {
        Fixture f;
        QSignalSpy drain(&f.sequence, &ShutdownSequence::drainStarted);
        f.begin(30s, 60s);
        QCOMPARE(f.sequence.step(), Step::LameDuck);
        f.sequence.skipLameDuck();
        QCOMPARE(drain.count(), 1);
        QCOMPARE(f.finished.count(), 1); // nothing else to wait for
        QVERIFY(f.sequence.report().phaseMs(ShutdownReport::Phase::LameDuck) < 60000);
        f.sequence.skipLameDuck(); // over: nothing happens
        QCOMPARE(drain.count(), 1);
    }

    void lameDuckEndsByTheDeadline()
    {
        Fixture f;
        QSignalSpy drain(&f.sequence, &ShutdownSequence::drainStarted);
        f.begin(100ms, 60s); // longer than the deadline: the deadline wins
        QVERIFY(drain.wait(10000));
        QTRY_COMPARE(f.finished.count(), 1);
    }

    void serviceTimesOut()
    {
        Fixture f;
        Manual a(QStringLiteral("a")), stuck(QStringLiteral("stuck"));
        ServiceEntry *ea = f.add(&a);
        f.add(&stuck);
        f.begin();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^service \"stuck\" did not stop within \\d+ ms$")));
        f.sequence.timerFired(); // its budget is over
        QCOMPARE(f.sequence.step(), Step::Services);
        QCOMPARE(f.sequence.pendingDescription(), QStringLiteral("service \"a\""));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        f.sequence.serviceEnded(ea);
        QCOMPARE(f.finished.count(), 1);
        const ShutdownReport report = f.sequence.report();
        QCOMPARE(report.services().at(0).outcome, Outcome::TimedOut);
        QCOMPARE(report.services().at(1).outcome, Outcome::Clean);
        QCOMPARE(report.exitCode(), 1);
    }

    void ownBudgetIsSmallerThanTheDeadline()
    {
        Fixture f;
        Manual slow(QStringLiteral("slow"));
        ServiceOptions options;
        options.stopTimeout = 100ms;
        f.add(&slow, options);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^service \"slow\" did not stop within 100 ms$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("timed out")));
        f.begin(60s);
        QVERIFY(f.finished.wait(10000)); // the real timer, at the service's own budget
        QCOMPARE(f.sequence.report().services().at(0).outcome, Outcome::TimedOut);
        QVERIFY(f.sequence.report().totalMs() < 10000);
    }

    void lateServiceThatFailedIsReportedFailed()
    {
        Fixture f;
        Manual a(QStringLiteral("a")), pool(QStringLiteral("pool"));
        ServiceEntry *ea = f.add(&a);
        ServiceEntry *epool = f.add(&pool, late());
        f.begin();
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^service \"pool\" failed during the shutdown: disk gone$")));
        Q_EMIT pool.failed(QStringLiteral("disk gone"));
        QTRY_VERIFY_WITH_TIMEOUT(!epool->isRunning(), 10000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("service \"pool\" failed \\(disk "
                                                               "gone\\)")));
        f.sequence.serviceEnded(ea);
        QCOMPARE(f.finished.count(), 1);
        const ServiceReport pooled = f.sequence.report().services().at(1);
        QCOMPARE(pooled.name, QStringLiteral("pool"));
        QCOMPARE(pooled.outcome, Outcome::Failed);
        QCOMPARE(pooled.lastError, QStringLiteral("disk gone"));
        QCOMPARE(f.sequence.report().exitCode(), 1);
    }

    void sessionsDrainAtOnce()
    {
        Fixture f;
        auto *connection = new QObject;
        connection->setObjectName(QStringLiteral("client-1"));
        QCOMPARE(f.gate->track(connection), SessionGate::TrackResult::Tracked);
        f.begin();
        QCOMPARE(f.sequence.step(), Step::Sessions);
        QCOMPARE(f.sequence.pendingDescription(),
                 QStringLiteral("1 session(s): QObject(client-1)"));
        f.sequence.sessionsChanged(); // nothing changed: still waiting
        QCOMPARE(f.sequence.step(), Step::Sessions);
        delete connection;
        f.sequence.sessionsChanged();
        QCOMPARE(f.sequence.step(), Step::Done);
        QCOMPARE(f.sequence.report().sessionsDrained(), 1);
        QCOMPARE(f.sequence.report().sessionsAbandoned(), 0);
        QCOMPARE(f.sequence.report().exitCode(), 0);
    }

    void sessionsAbandonedAtTheDeadline()
    {
        Fixture f;
        Manual pool(QStringLiteral("pool"));
        ServiceEntry *epool = f.add(&pool, late());
        const quint64 held = f.gate->hold(QStringLiteral("saving report.pdf"));
        QVERIFY(held != 0);
        f.begin();
        QCOMPARE(f.sequence.step(), Step::Sessions);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^1 session\\(s\\) still open at the shutdown deadline, "
                                 "abandoned: saving report.pdf$")));
        f.sequence.timerFired();                         // the deadline
        QCOMPARE(f.sequence.step(), Step::LateServices); // the pool still gets its turn
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        f.sequence.serviceEnded(epool);
        QCOMPARE(f.finished.count(), 1);
        const ShutdownReport report = f.sequence.report();
        QCOMPARE(report.sessionsAbandoned(), 1);
        QCOMPARE(report.abandonedSessions(), QStringList{QStringLiteral("saving report.pdf")});
        QCOMPARE(report.exitCode(), 1);
        f.gate->release(held);
    }

    void secondSignalEndsWithWhatIsPending()
    {
        Fixture f;
        Manual stuck(QStringLiteral("stuck"));
        f.add(&stuck);
        const quint64 held = f.gate->hold(QStringLiteral("upload"));

        std::mutex mutex;
        int exitCode = -1;
        QString message;
        HardStop hardStop([&f] { return f.sequence.pendingDescription(); },
                          [&](int code, const QString &text) {
                              std::lock_guard lock(mutex);
                              exitCode = code;
                              message = text;
                          });
        QVERIFY(hardStop.receiveSignals());
        HardStop::signalArrived(SIGINT); // the first: starts the shutdown
        f.begin();
        // Each poll sends one more; the first outside the duplicate window ends it.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                HardStop::signalArrived(SIGINT);
                std::lock_guard lock(mutex);
                return exitCode != -1;
            }(),
            10000);
        std::lock_guard lock(mutex);
        QCOMPARE(exitCode, 128 + SIGINT);
        QCOMPARE(message, QStringLiteral("second SIGINT during the shutdown: exiting now with 130; "
                                         "still pending: service \"stuck\"; 1 session(s): upload"));
        f.gate->release(held);
    }
};

CANSTOP_TEST_MAIN(TestShutdownSequence)
#include "tst_shutdownsequence.moc"
