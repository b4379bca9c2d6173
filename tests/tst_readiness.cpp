// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Readiness alone, driven by feeding it events: no manager, no systemd.
#include "common/testmain.h"
#include "readiness_p.h"

#include <QProperty>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <thread>

using canstop::Readiness;

namespace {

struct Fixture
{
    std::atomic<bool> signalled{false};
    Readiness readiness{[this] { return signalled.load(); }};
    QSignalSpy changed{&readiness, &Readiness::changed};
    QSignalSpy reloadStarted{&readiness, &Readiness::reloadStarted};
    QSignalSpy holdsChanged{&readiness, &Readiness::holdsChanged};

    // The values changed() carried, oldest first.
    QList<bool> changes() const
    {
        QList<bool> values;
        for (const QList<QVariant> &arguments : changed)
            values.append(arguments.at(0).toBool());
        return values;
    }
};

} // namespace

class TestReadiness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void upOnceStartedAndFreeOfHolds()
    {
        Fixture f;
        QVERIFY(!f.readiness.isReady());
        QVERIFY(f.readiness.hold(QStringLiteral("loading the model")));
        f.readiness.started();
        QVERIFY(!f.readiness.isReady());
        QVERIFY(!f.readiness.isReadyNow());
        QCOMPARE(f.readiness.notReadyReason(), QStringLiteral("not ready: loading the model"));
        QCOMPARE(f.changed.count(), 0);

        QVERIFY(f.readiness.release(QStringLiteral("loading the model")));
        QVERIFY(f.readiness.isReady());
        QVERIFY(f.readiness.isReadyNow());
        QCOMPARE(f.readiness.notReadyReason(), QString());
        QCOMPARE(f.changes(), QList<bool>{true});
        QCOMPARE(f.holdsChanged.count(), 2);
    }

    // The same name held twice is released twice.
    void holdsCount()
    {
        Fixture f;
        f.readiness.started();
        QVERIFY(f.readiness.hold(QStringLiteral("a")));
        QVERIFY(f.readiness.hold(QStringLiteral("a")));
        QVERIFY(f.readiness.release(QStringLiteral("a")));
        QVERIFY(!f.readiness.isReady());
        QVERIFY(f.readiness.release(QStringLiteral("a")));
        QVERIFY(f.readiness.isReady());
        QCOMPARE(f.changes(), (QList<bool>{true, false, true}));
    }

    void badInputIsRefused()
    {
        Fixture f;
        f.readiness.started();
        QTest::ignoreMessage(QtWarningMsg, "holdReadiness(): refused: say what holds it");
        QVERIFY(!f.readiness.hold(QString()));
        QTest::ignoreMessage(QtWarningMsg,
                             "releaseReadiness(\"never held\"): refused: nothing by that name "
                             "holds it");
        QVERIFY(!f.readiness.release(QStringLiteral("never held")));
        QVERIFY(f.readiness.isReady());
        QCOMPARE(f.holdsChanged.count(), 0);
    }

    // Down while the reload's slots run, reloadStarted() first; up after,
    // unless one of them holds it.
    void reloadLowersItWhileItRuns()
    {
        Fixture f;
        f.readiness.started();
        f.changed.clear();
        bool readyWhenAnnounced = true;
        connect(&f.readiness, &Readiness::reloadStarted, &f.readiness,
                [&] { readyWhenAnnounced = f.readiness.isReadyNow(); });
        f.readiness.beginReload();
        QVERIFY(!readyWhenAnnounced);
        QCOMPARE(f.reloadStarted.count(), 1);
        QCOMPARE(f.readiness.notReadyReason(), QStringLiteral("reloading"));
        QVERIFY(f.readiness.hold(QStringLiteral("reloading the config")));
        f.readiness.endReload();
        QVERIFY(!f.readiness.isReady());
        QVERIFY(f.readiness.release(QStringLiteral("reloading the config")));
        QCOMPARE(f.changes(), (QList<bool>{false, true}));

        // Before the program runs there is nothing to lower.
        Fixture early;
        early.readiness.beginReload();
        early.readiness.endReload();
        QCOMPARE(early.reloadStarted.count(), 0);
        QCOMPARE(early.changed.count(), 0);
    }

    // A failed part of a reload is kept for the status until the next
    // reload begins; readiness comes back all the same (the old
    // configuration serves).
    void reloadFailuresLastUntilTheNextReload()
    {
        Fixture f;
        f.readiness.started();
        f.readiness.beginReload();
        f.holdsChanged.clear();
        f.readiness.reloadFailed(QStringLiteral("certificate refused"));
        QCOMPARE(f.holdsChanged.count(), 1);
        f.readiness.endReload();
        QVERIFY(f.readiness.isReady());
        QCOMPARE(f.readiness.reloadFailures(), QStringList{QStringLiteral("certificate refused")});
        f.readiness.beginReload();
        QVERIFY(f.readiness.reloadFailures().isEmpty());
        f.readiness.endReload();
        QVERIFY(f.readiness.isReady());
    }

    // Down for good, without a signal of its own (the caller announces it);
    // nothing brings it back.
    void stopIsSilentAndFinal()
    {
        Fixture f;
        f.readiness.started();
        f.changed.clear();
        QVERIFY(f.readiness.stop());
        QVERIFY(!f.readiness.isReady());
        QVERIFY(!f.readiness.isReadyNow());
        QCOMPARE(f.changed.count(), 0);
        QVERIFY(!f.readiness.stop()); // it was down already
        f.readiness.started();
        f.readiness.beginReload();
        f.readiness.endReload();
        QVERIFY(f.readiness.hold(QStringLiteral("late")));
        QVERIFY(f.readiness.release(QStringLiteral("late")));
        QVERIFY(!f.readiness.isReady());
        QCOMPARE(f.changed.count(), 0);
        QCOMPARE(f.reloadStarted.count(), 0);
    }

    // A terminating signal lowers what other threads read at once, before
    // any thread has acted on it; the property waits for the shutdown.
    void aSignalLowersItForOtherThreadsAtOnce()
    {
        Fixture f;
        f.readiness.started();
        bool seen = true;
        std::thread([&] { seen = f.readiness.isReadyNow(); }).join();
        QVERIFY(seen);
        f.signalled = true;
        std::thread([&] { seen = f.readiness.isReadyNow(); }).join();
        QVERIFY(!seen);
        QVERIFY(f.readiness.isReady());
    }

    void theBindableFollows()
    {
        Fixture f;
        QProperty<bool> bound;
        bound.setBinding([&f] { return f.readiness.bindable().value(); });
        QVERIFY(!bound.value());
        f.readiness.started();
        QVERIFY(bound.value());
        f.readiness.stop();
        QVERIFY(!bound.value());
    }
};

CANSTOP_TEST_MAIN(TestReadiness)
#include "tst_readiness.moc"
