// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The exit path alone, driven by feeding it events: no manager, no
// sequence; the hard exit recorded instead of taken.
#include "common/testmain.h"
#include "exitpath_p.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTest>
#include <QTimer>

#include <optional>

using canstop::ExitPath;
using namespace std::chrono_literals;

namespace {

struct Fixture
{
    int requests = 0;
    QDeadlineTimer deadline{30s};
    std::optional<int> hardExit;
    ExitPath exitPath{[this] {
                          ++requests;
                          return deadline;
                      },
                      [this](int code) { hardExit = code; }};
};

// Set from the application's aboutToQuit(), before any exit path hears it
// (connected first, in initTestCase()): exec()'s own loop is over.
bool s_execOver = false;

// Runs the application's event loop, as main() does, until something exits
// it: exec()'s result, or `otherwise` once everything posted before has run
// and the loop has turned once more (an exit() in the same turn would be
// overridden) without an exit.
int runApplication(int otherwise = -1)
{
    QObject fallback; // a fallback not needed goes with it
    QMetaObject::invokeMethod(
        &fallback,
        [&fallback, otherwise] {
            QMetaObject::invokeMethod(
                &fallback,
                [otherwise] {
                    if (!s_execOver) // not in a quit loop that runs after exec()
                        QCoreApplication::exit(otherwise);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    s_execOver = false;
    return QCoreApplication::exec();
}

// `action` as the next event of the application's loop.
template <typename Action> void post(Action action)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(), action, Qt::QueuedConnection);
}

} // namespace

class TestExitPath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        connect(QCoreApplication::instance(), &QCoreApplication::aboutToQuit, this,
                [] { s_execOver = true; });
    }

    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // QCoreApplication::quit() becomes the shutdown, which then exits;
    // after it, quit() is quit() again.
    void quitBecomesTheShutdown()
    {
        Fixture f;
        f.exitPath.watch(QCoreApplication::instance());
        post([&f] {
            QCoreApplication::quit(); // swallowed
            QCOMPARE(f.requests, 1);
            f.exitPath.finished(3);
        });
        QCOMPARE(runApplication(), 3);
        post([] { QCoreApplication::quit(); });
        QCOMPARE(runApplication(), 0);
        QCOMPARE(f.requests, 1);
    }

    // With autoExit off, quit() is the application's own: it ends the loop,
    // and the shutdown runs once exec() has returned.
    void withoutAutoExitQuitIsLeftAlone()
    {
        Fixture f;
        f.exitPath.setAutoExit(false);
        f.exitPath.watch(QCoreApplication::instance());
        post([&f] {
            QCoreApplication::quit();
            QCOMPARE(f.requests, 0);
            QTimer::singleShot(0, &f.exitPath, [&f] { f.exitPath.finished(3); });
        });
        QCOMPARE(runApplication(), 0);
        QCOMPARE(f.requests, 1);
    }

    // Before exec() runs, the exit is posted, so that the loop ends with it.
    void finishedExitsWithTheCode()
    {
        Fixture f;
        f.exitPath.finished(3);
        QCOMPARE(runApplication(), 3);
        QVERIFY(!f.hardExit);

        Fixture manual;
        manual.exitPath.setAutoExit(false);
        manual.exitPath.finished(3);
        QCOMPARE(runApplication(), -1);
    }

    // In a running loop, at once.
    void finishedExitsARunningLoop()
    {
        Fixture f;
        post([&f] { f.exitPath.finished(4); });
        QCOMPARE(runApplication(), 4);
    }

    // A QThread that still runs cannot be destroyed: the process ends
    // here, without cleanup, named.
    void aRunningThreadEndsTheProcess()
    {
        Fixture f;
        QTest::ignoreMessage(QtWarningMsg,
                             "thread \"indexer\" is still running: exiting with 1 without cleanup");
        f.exitPath.finished(1, QStringLiteral("indexer"));
        QCOMPARE(f.hardExit, std::optional<int>(1));
        QCOMPARE(runApplication(), -1);
    }

    // An exit that came around the filter (QCoreApplication::exit()): once
    // exec() has returned, the shutdown runs in a loop of its own until it
    // finishes...
    void exitAroundTheFilterRunsTheShutdownAfterExec()
    {
        Fixture f;
        f.exitPath.watch(QCoreApplication::instance());
        bool finishedInTheLoop = false;
        post([&f, &finishedInTheLoop] {
            QCoreApplication::exit(7);
            QTimer::singleShot(50ms, &f.exitPath, [&f, &finishedInTheLoop] {
                finishedInTheLoop = true;
                f.exitPath.finished(0);
            });
        });
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(runApplication(), 7);
        QCOMPARE(f.requests, 1);
        QVERIFY(finishedInTheLoop);
        QVERIFY2(clock.elapsed() < 20000, QByteArray::number(clock.elapsed()));
        QCOMPARE(runApplication(), -1); // exec() had returned: no exit was posted
    }

    // ...or until its deadline and a grace have passed.
    void theQuitLoopIsBounded()
    {
        Fixture f;
        f.exitPath.watch(QCoreApplication::instance());
        f.deadline = QDeadlineTimer(100ms);
        post([] { QCoreApplication::exit(0); });
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(runApplication(), 0);
        QCOMPARE(f.requests, 1);
        QVERIFY2(clock.elapsed() >= (100ms + ExitPath::QuitLoopGrace).count() - 10,
                 QByteArray::number(clock.elapsed()));
        QVERIFY2(clock.elapsed() < 20000, QByteArray::number(clock.elapsed()));
        f.exitPath.finished(0); // late: the quit loop is gone
    }

    // exitCode(): exec()'s code wins unless it is 0 after a shutdown.
    void exitCodeReconcilesExecWithTheReport()
    {
        Fixture f;
        QCOMPARE(f.exitPath.exitCode(0, std::nullopt), 0);
        QCOMPARE(f.exitPath.exitCode(5, std::nullopt), 5);
        QCOMPARE(f.exitPath.exitCode(0, 1), 1);
        QCOMPARE(f.exitPath.exitCode(5, 1), 5);
    }

    // exec() returned exit()'s code, the shutdown then failed, and main()
    // never asked exitCode(): said when the manager goes.
    void anUnreconciledCodeIsSaid()
    {
        Fixture f; // the shutdown was over before exec() returned
        f.exitPath.watch(QCoreApplication::instance());
        f.exitPath.finished(1);
        QCOMPARE(runApplication(), 1);
        f.exitPath.managerDestroyed(false, {}, 1);

        for (const bool asked : {false, true}) {
            Fixture late;
            late.exitPath.watch(QCoreApplication::instance());
            post([&late] {
                QCoreApplication::exit(0);
                QTimer::singleShot(0, &late.exitPath, [&late] { late.exitPath.finished(1); });
            });
            QCOMPARE(runApplication(), 0);
            if (asked)
                QCOMPARE(late.exitPath.exitCode(0, 1), 1);
            else
                QTest::ignoreMessage(QtWarningMsg,
                                     QRegularExpression(QStringLiteral(
                                         "^QCoreApplication::exit\\(\\) was called directly.*"
                                         "this shutdown's 1;")));
            late.exitPath.managerDestroyed(false, {}, 1);
        }
    }

    // Destroyed mid-shutdown: named, and the application exits with 1.
    void destroyedDuringTheShutdown()
    {
        Fixture f;
        QTest::ignoreMessage(QtCriticalMsg, "LifecycleManager destroyed during its shutdown; "
                                            "still pending: service \"db\"");
        post([&f] {
            f.exitPath.managerDestroyed(true, QStringLiteral("service \"db\""), std::nullopt);
        });
        QCOMPARE(runApplication(), 1);
    }
};

CANSTOP_TEST_MAIN(TestExitPath)
#include "tst_exitpath.moc"
