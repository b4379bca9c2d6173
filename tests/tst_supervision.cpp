// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Supervision: failed services restarted with backoff, within an intensity limit.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

using canstop::LifecycleManager;
using canstop::RestartPolicy;
using canstop::ServiceOptions;
using canstop::ServiceReport;
using namespace std::chrono_literals;

namespace {

// Fails as soon as it is started, or when told to.
class Flaky : public QObject
{
    Q_OBJECT
public:
    static inline int made = 0;
    bool failOnStart = false;
    Flaky() { ++made; }
public Q_SLOTS:
    void start()
    {
        if (failOnStart)
            Q_EMIT failed(QStringLiteral("boom"));
    }
    void stop() {}
Q_SIGNALS:
    void failed(const QString &error);
};

// A worker thread that ends by itself almost at once: a crash, seen from outside.
class ShortLived : public QThread
{
public:
    ShortLived() { canstop::EventDispatcher::installInThread(this); }

protected:
    void run() override {}
};

ServiceOptions flakyOptions(std::function<QObject *()> factory)
{
    ServiceOptions options;
    options.name = QStringLiteral("flaky");
    options.restart.factory = std::move(factory);
    options.restart.backoff = 20ms;
    options.restart.maxBackoff = 80ms;
    options.restart.maxRestarts = 3;
    options.restart.window = 60s;
    return options;
}

} // namespace

class TestSupervision : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        Flaky::made = 0;
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    }

    void backoffGrowsWithTheFailureRate()
    {
        RestartPolicy policy;
        QCOMPARE(policy.delayAfter(1), 0ms); // a lone failure restarts at once
        QCOMPARE(policy.delayAfter(2), 1000ms);
        QCOMPARE(policy.delayAfter(3), 2000ms);
        QCOMPARE(policy.delayAfter(4), 4000ms);
        QCOMPARE(policy.delayAfter(5), 8000ms);
        QCOMPARE(policy.delayAfter(50), 8000ms); // only the last five count
        policy.maxBackoff = 3000ms;
        QCOMPARE(policy.delayAfter(4), 3000ms);
    }

    void failedServiceIsRestartedWithBackoff()
    {
        TestManager manager;
        Flaky first;
        auto options = flakyOptions([] {
            auto *next = new Flaky;
            next->failOnStart = Flaky::made <= 3; // the first two replacements fail too
            return next;
        });
        options.restart.maxRestarts = 10;
        QVERIFY(manager.addService(&first, options));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Running, 10000);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^service \"flaky\" failed: boom; restarting in 0 ms$")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 20 ms")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 40 ms")));
        QElapsedTimer clock;
        clock.start();
        Q_EMIT first.failed(QStringLiteral("boom"));
        QTRY_COMPARE_WITH_TIMEOUT(Flaky::made, 4, 10000); // the original + three replacements
        QVERIFY(clock.elapsed() >= 55); // 0 + 20 + 40 ms of backoff, less timer slack
        QTRY_COMPARE_WITH_TIMEOUT(manager.runningServices(), 1, 10000);

        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        const ServiceReport service = manager.report().services().at(0);
        QCOMPARE(service.outcome, ServiceReport::Outcome::Clean);
        QCOMPARE(service.restarts, 3);
        QCOMPARE(service.lastError, QStringLiteral("boom"));
    }

    void intensityLimitShutsDownWithCodeOne()
    {
        TestManager manager;
        auto *first = new Flaky;
        first->failOnStart = true;
        QVERIFY(manager.addService(first, flakyOptions([] {
                                       auto *next = new Flaky;
                                       next->failOnStart = true;
                                       return next;
                                   })));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("restarting in")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("restarting in")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("restarting in")));
        QTest::ignoreMessage(
            QtCriticalMsg, QRegularExpression(QStringLiteral(
                               "^giving up on service \"flaky\": it failed again \\(boom\\) after "
                               "3 restart\\(s\\) within 60000 ms; shutting down$")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().exitCode(), 1);
        QCOMPARE(manager.report().reason(), QStringLiteral("service \"flaky\" gave up"));
        QCOMPARE(manager.report().services().at(0).outcome, ServiceReport::Outcome::Failed);
        QCOMPARE(manager.report().services().at(0).restarts, 3);
        delete first;
    }

    void givingUpCanLeaveTheProgramRunning()
    {
        TestManager manager;
        Flaky first;
        int calls = 0;
        auto options = flakyOptions([&calls]() -> QObject * {
            ++calls;
            return nullptr;
        });
        options.restart.shutdownOnGiveUp = false;
        QVERIFY(manager.addService(&first, options));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Running, 10000);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 0 ms")));
        QTest::ignoreMessage(QtCriticalMsg,
                             QRegularExpression(QStringLiteral(
                                 "^giving up on service \"flaky\": its restart factory made "
                                 "nothing usable \\(the service is null\\); it stays stopped$")));
        Q_EMIT first.failed(QStringLiteral("boom"));
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 10000);
        QCOMPARE(manager.runningServices(), 0);
        QCOMPARE(manager.state(), LifecycleManager::State::Running);
    }

    void factoryReturningTheSameInstanceGivesUp()
    {
        TestManager manager;
        auto *only = new Flaky;
        int asked = 0;
        auto options = flakyOptions([only, &asked] {
            ++asked;
            return only;
        });
        options.restart.shutdownOnGiveUp = false;
        QVERIFY(manager.addService(only, options));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Running, 10000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 0 ms")));
        QTest::ignoreMessage(QtCriticalMsg,
                             QRegularExpression(QStringLiteral(
                                 "its restart factory made nothing usable \\(it returned the "
                                 "instance it replaces\\); it stays stopped$")));
        Q_EMIT only->failed(QStringLiteral("boom"));
        // The give-up is logged as soon as the factory has answered.
        QTRY_COMPARE_WITH_TIMEOUT(asked, 1, 10000);
        QCOMPARE(manager.runningServices(), 0);
        QCOMPARE(Flaky::made, 1);
        delete only;
    }

    void hugeDurationsAreRefused()
    {
        TestManager manager;
        Flaky flaky;
        auto options = flakyOptions([] { return new Flaky; });
        options.restart.backoff = std::chrono::milliseconds(4294967396);
        options.restart.maxBackoff = options.restart.backoff;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "was not added: a timeout or limit is negative "
                                               "or longer than 2147483647 ms")));
        QVERIFY(!manager.addService(&flaky, options));
        QCOMPARE(manager.runningServices(), 0);

        RestartPolicy policy;
        policy.backoff = std::chrono::milliseconds(std::numeric_limits<qint64>::max() / 2);
        policy.maxBackoff = 5s;
        QCOMPARE(policy.delayAfter(5), 5000ms); // no overflow past the bound
    }

    void shutdownCancelsAPendingRestart()
    {
        TestManager manager;
        Flaky first;
        Flaky *latest = nullptr;
        auto options = flakyOptions([&latest] { return latest = new Flaky; });
        options.restart.backoff = 60s; // the second failure waits a minute
        options.restart.maxBackoff = 60s;
        QVERIFY(manager.addService(&first, options));
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Running, 10000);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 0 ms")));
        Q_EMIT first.failed(QStringLiteral("first"));
        QTRY_VERIFY_WITH_TIMEOUT(latest != nullptr, 10000);
        QCOMPARE(manager.runningServices(), 1);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("restarting in 60000 ms")));
        Q_EMIT latest->failed(QStringLiteral("second"));
        QTRY_COMPARE_WITH_TIMEOUT(manager.runningServices(), 0, 10000);

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QVERIFY(manager.report().totalMs() < 10000);
        QCOMPARE(Flaky::made, 2); // no restart after the shutdown began
        const ServiceReport service = manager.report().services().at(0);
        QCOMPARE(service.outcome, ServiceReport::Outcome::Failed);
        QCOMPARE(service.lastError, QStringLiteral("second"));
    }

    void failedThreadIsReplaced()
    {
        TestManager manager;
        auto *first = new ShortLived;
        connect(first, &QThread::finished, first, &QObject::deleteLater);
        int made = 0;
        ServiceOptions options;
        options.name = QStringLiteral("worker");
        options.restart.maxRestarts = 1;
        options.restart.shutdownOnGiveUp = false;
        options.restart.backoff = 10ms;
        options.restart.factory = [&made] {
            ++made;
            return new ShortLived;
        };
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "\"worker\" failed: (thread finished|destroyed); restarting")));
        QTest::ignoreMessage(
            QtCriticalMsg, QRegularExpression(QStringLiteral("giving up on service \"worker\": it "
                                                             "failed again .* after 1 restart")));
        QVERIFY(manager.addService(first, options));
        QTRY_COMPARE_WITH_TIMEOUT(made, 1, 10000);
        // The replacement ends at once too; one restart is the limit.
        QTRY_COMPARE_WITH_TIMEOUT(manager.runningServices(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!manager.report().isValid() && made == 1, 10000);
    }
};

CANSTOP_TEST_MAIN(TestSupervision)
#include "tst_supervision.moc"
