// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The signal bridge, in process: real signals through raise() and kill().
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <csignal>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using canstop::LifecycleManager;

namespace {

std::atomic<int> s_ownHandlerCalls{0};

extern "C" void ownHandler(int)
{
    s_ownHandlerCalls.fetch_add(1);
}

struct sigaction currentAction(int signalNumber)
{
    struct sigaction action;
    sigaction(signalNumber, nullptr, &action);
    return action;
}

} // namespace

class TestSignalBridge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void sigtermStartsOneShutdown()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals());
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        QSignalSpy finished(&manager, &LifecycleManager::shutdownFinished);

        raise(SIGTERM);
        QVERIFY(requested.wait(10000));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toString(), QStringLiteral("SIGTERM"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(manager.report().reason(), QStringLiteral("SIGTERM"));
        QCOMPARE(manager.report().exitCode(), 0);
        QCOMPARE(manager.state(), LifecycleManager::State::Stopped);
    }

    void sigintNamesItself()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals());
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        raise(SIGINT);
        QVERIFY(requested.wait(10000));
        QCOMPARE(manager.shutdownReason(), QStringLiteral("SIGINT"));
    }

    // After a bridge has been made once: UBSan's first type check of a class
    // needs a pipe, which this test leaves no descriptor for.
    void noDescriptorsLeft()
    {
        TestManager manager;

        struct rlimit saved;
        QCOMPARE(getrlimit(RLIMIT_NOFILE, &saved), 0);
        struct rlimit low = saved;
        low.rlim_cur = 64;
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &low), 0);
        const auto termBefore = currentAction(SIGTERM).sa_handler;
        std::vector<int> filler;
        for (int fd; (fd = dup(STDERR_FILENO)) >= 0;)
            filler.push_back(fd);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("socketpair\\(\\) failed")));
        const bool watched = manager.watchSignals();

        for (const int fd : filler)
            close(fd);
        setrlimit(RLIMIT_NOFILE, &saved);
        QVERIFY(!watched);
        QVERIFY(currentAction(SIGTERM).sa_handler == termBefore);

        // Nothing was left half-installed: with descriptors back, it works.
        QVERIFY(manager.watchSignals());
    }

    void sighupRequestsReload()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals());
        QSignalSpy reload(&manager, &LifecycleManager::reloadRequested);
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        raise(SIGHUP);
        QVERIFY(reload.wait(10000));
        QCOMPARE(reload.count(), 1);
        QCOMPARE(requested.count(), 0);
        QVERIFY(!manager.isShuttingDown());
    }

    void otherSignalsArePassedOn()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals({SIGUSR1, SIGUSR2}));
        QSignalSpy received(&manager, &LifecycleManager::signalReceived);
        raise(SIGUSR2);
        QVERIFY(received.wait(10000));
        QCOMPARE(received.at(0).at(0).toInt(), SIGUSR2);
        QVERIFY(!manager.isShuttingDown());
    }

    void burstIsOneShutdown()
    {
        TestManager manager;
        QVERIFY(manager.watchSignals({SIGTERM, SIGUSR1}));
        QSignalSpy requested(&manager, &LifecycleManager::shutdownRequested);
        QSignalSpy received(&manager, &LifecycleManager::signalReceived);

        for (int i = 0; i < 1000; ++i)
            raise(SIGTERM);
        QVERIFY(requested.wait(10000));
        // Every byte of the burst has been read once a later signal arrives.
        raise(SIGUSR1);
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10000);
        QCOMPARE(requested.count(), 1);
    }

    void previousHandlerIsRestored()
    {
        struct sigaction own;
        std::memset(&own, 0, sizeof own);
        own.sa_handler = ownHandler;
        sigemptyset(&own.sa_mask);
        struct sigaction saved;
        QCOMPARE(sigaction(SIGUSR1, &own, &saved), 0);

        {
            TestManager manager;
            QVERIFY(manager.watchSignals({SIGUSR1}));
            QVERIFY(currentAction(SIGUSR1).sa_handler != ownHandler);
        }
        QVERIFY(currentAction(SIGUSR1).sa_handler == ownHandler);
        const int before = s_ownHandlerCalls.load();
        raise(SIGUSR1);
        QCOMPARE(s_ownHandlerCalls.load(), before + 1);

        sigaction(SIGUSR1, &saved, nullptr);
    }

    void onlyOneManagerWatches()
    {
        LifecycleManager first;
        first.setAutoExit(false);
        LifecycleManager second;
        second.setAutoExit(false);
        QVERIFY(first.watchSignals());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("already watched by another")));
        QVERIFY(!second.watchSignals());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("already watches signals")));
        QVERIFY(!first.watchSignals());
    }

    void refusesSignalsItMustNotTake_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::addColumn<QString>("why");
        QTest::newRow("SIGSEGV") << int(SIGSEGV) << QStringLiteral("crash signal");
        QTest::newRow("SIGABRT") << int(SIGABRT) << QStringLiteral("crash signal");
        QTest::newRow("SIGKILL") << int(SIGKILL) << QStringLiteral("cannot be caught");
        QTest::newRow("zero") << 0 << QStringLiteral("not a signal number");
        QTest::newRow("negative") << -3 << QStringLiteral("not a signal number");
        QTest::newRow("too large") << 100000 << QStringLiteral("not a signal number");
    }

    void refusesSignalsItMustNotTake()
    {
        QFETCH(int, signalNumber);
        QFETCH(QString, why);
        TestManager manager;
        const auto termBefore = currentAction(SIGTERM).sa_handler;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QRegularExpression::escape(why)));
        QVERIFY(!manager.watchSignals({SIGTERM, signalNumber}));
        // All or nothing: SIGTERM was not taken either.
        QVERIFY(currentAction(SIGTERM).sa_handler == termBefore);
    }

    void signalsFromOtherThreads()
    {
        // Plain threads hammer the process with kill(); each round must end
        // with the signal delivered, however the bursts interleave.
        TestManager manager;
        QVERIFY(manager.watchSignals({SIGUSR1, SIGUSR2}));
        QSignalSpy received(&manager, &LifecycleManager::signalReceived);

        for (int round = 0; round < 20; ++round) {
            received.clear();
            std::vector<std::thread> senders;
            for (int t = 0; t < 4; ++t) {
                senders.emplace_back([t] {
                    for (int i = 0; i < 50; ++i)
                        kill(getpid(), t % 2 ? SIGUSR1 : SIGUSR2);
                });
            }
            for (auto &sender : senders)
                sender.join();
            QTRY_VERIFY_WITH_TIMEOUT(received.contains(QVariantList{SIGUSR1}) &&
                                         received.contains(QVariantList{SIGUSR2}),
                                     10000);
        }
    }
};

CANSTOP_TEST_MAIN(TestSignalBridge)
#include "tst_signalbridge.moc"
