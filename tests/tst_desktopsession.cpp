// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// followDesktopSession() in a QGuiApplication (offscreen): an application
// suspended saves without asking. (A QSessionManager cannot be made
// outside Qt, so commitDataRequest is tested through requestSave(), which
// its handler calls, in tst_savestep and tests/qml.)
#include "common/testmanager.h"

#include <canstop/desktopsession.h>

#include <QSignalSpy>
#include <QTest>

class TestDesktopSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void suspendedSavesWithoutAsking()
    {
        TestManager manager;
        QVERIFY(canstop::followDesktopSession(manager));
        QSignalSpy requested(&manager, &canstop::LifecycleManager::saveRequested);
        Q_EMIT qGuiApp->applicationStateChanged(Qt::ApplicationActive);
        QCOMPARE(requested.count(), 0);
        Q_EMIT qGuiApp->applicationStateChanged(Qt::ApplicationSuspended);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toBool(), false);
        QCOMPARE(manager.state(), canstop::LifecycleManager::State::Starting); // no shutdown
    }
};

QTEST_MAIN(TestDesktopSession)
#include "tst_desktopsession.moc"
