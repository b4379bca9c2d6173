// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The service registry alone, driven by feeding it events: no manager, no
// sequence.
#include "common/testmain.h"
#include "serviceregistry_p.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using canstop::ServiceEntry;
using canstop::ServiceOptions;
using canstop::ServiceRegistry;
using namespace std::chrono_literals;

namespace {

class Worker : public QObject
{
    Q_OBJECT
public:
    explicit Worker(const QString &name) { setObjectName(name); }
    int started = 0;
public Q_SLOTS:
    void start() { ++started; }
    void stop() { Q_EMIT stopped(); }
Q_SIGNALS:
    void stopped();
};

class NoStop : public QObject
{
    Q_OBJECT
};

// Runs until told to quit.
class Loop : public QThread
{
    Q_OBJECT
public:
    Loop() { canstop::EventDispatcher::installInThread(this); }

protected:
    void run() override { exec(); }
};

} // namespace

class TestServiceRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // Those added before the program runs start together, oldest first;
    // one added later starts at once.
    void startsOnceTheProgramRuns()
    {
        Worker a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c"));
        ServiceRegistry registry; // after its services: they go after it
        QSignalSpy running(&registry, &ServiceRegistry::runningChanged);
        QVERIFY(registry.add(&a, {}));
        QVERIFY(registry.add(&b, {}));
        QCOMPARE(registry.running(), 2);
        QCOMPARE(running.count(), 2);
        QTest::qWait(0);
        QCOMPARE(a.started, 0);
        registry.startAll();
        QTRY_COMPARE_WITH_TIMEOUT(b.started, 1, 10000);
        QCOMPARE(a.started, 1);
        QVERIFY(registry.add(&c, {}));
        QTRY_COMPARE_WITH_TIMEOUT(c.started, 1, 10000);
        QCOMPARE(registry.entries().size(), size_t(3));
        QCOMPARE(registry.entries().front()->name(), QStringLiteral("a"));
        registry.startAll(); // once only
        QTest::qWait(0);
        QCOMPARE(a.started, 1);
    }

    void refusalsNameTheRule()
    {
        Worker worker(QStringLiteral("w"));
        Worker late(QStringLiteral("late"));
        ServiceRegistry registry;
        QTest::ignoreMessage(QtWarningMsg, "addService(): the service is null");
        QVERIFY(!registry.add(nullptr, {}));
        NoStop noStop;
        QTest::ignoreMessage(QtWarningMsg, "addService(): NoStop has no stop() slot or invokable");
        QVERIFY(!registry.add(&noStop, {}));
        ServiceOptions negative;
        negative.stopTimeout = -1ms;
        QTest::ignoreMessage(QtWarningMsg,
                             "service \"w\" was not added: a timeout or limit is negative or "
                             "longer than 2147483647 ms");
        QVERIFY(!registry.add(&worker, negative));
        QVERIFY(registry.add(&worker, {}));
        QTest::ignoreMessage(QtWarningMsg, "service \"w\" was not added: it is already a service");
        QVERIFY(!registry.add(&worker, {}));
        registry.close();
        QTest::ignoreMessage(QtWarningMsg,
                             "service \"late\" was not added: the shutdown has already begun");
        QVERIFY(!registry.add(&late, {}));
        QCOMPARE(registry.entries().size(), size_t(1));
    }

    // Closed before it ever ran: nothing starts.
    void closedBeforeItRanStartsNothing()
    {
        Worker worker(QStringLiteral("w"));
        ServiceRegistry registry;
        QVERIFY(registry.add(&worker, {}));
        registry.close();
        registry.startAll();
        QTest::qWait(0);
        QCOMPARE(worker.started, 0);
    }

    // A thread service counts while it runs, and is named while it does.
    void aRunningThreadIsNamed()
    {
        Loop loop;
        loop.setObjectName(QStringLiteral("indexer"));
        ServiceRegistry registry;
        QSignalSpy ended(&registry, &ServiceRegistry::ended);
        QVERIFY(registry.add(&loop, {}));
        registry.startAll();
        QTRY_VERIFY_WITH_TIMEOUT(loop.isRunning(), 10000);
        QCOMPARE(registry.running(), 1);
        QCOMPARE(registry.runningThread(), QStringLiteral("indexer"));
        registry.entries().front()->stop();
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 10000);
        QCOMPARE(ended.first().first().value<ServiceEntry *>(), registry.entries().front());
        QCOMPARE(registry.running(), 0);
        QCOMPARE(registry.runningThread(), QString());
    }
};

CANSTOP_TEST_MAIN(TestServiceRegistry)
#include "tst_serviceregistry.moc"
