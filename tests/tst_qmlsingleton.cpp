// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The QML singleton is the application's manager, and C++ bindings follow it.
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QPointer>
#include <QProperty>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QTest>

using canstop::LifecycleManager;

class TestQmlSingleton : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void singletonIsTheInstanceAndOutlivesTheEngine()
    {
        TestManager manager;
        QCOMPARE(LifecycleManager::instance(), &manager);
        QPointer<LifecycleManager> alive(&manager);
        {
            QQmlEngine engine;
            engine.addImportPath(QString::fromLocal8Bit(qgetenv("CANSTOP_QML_IMPORT_PATH")));
            QQmlComponent component(&engine);
            component.setData("import QtQml\nimport Canstop\nQtObject {\n"
                              "    property QtObject manager: Lifecycle\n"
                              "    property bool down: Lifecycle.shuttingDown\n}\n",
                              QUrl());
            std::unique_ptr<QObject> object(component.create());
            QVERIFY2(object, qPrintable(component.errorString()));
            QCOMPARE(object->property("manager").value<QObject *>(), &manager);
            const int typeId = qmlTypeId("Canstop", 1, 0, "Lifecycle");
            QVERIFY(typeId >= 0);
            QCOMPARE(engine.singletonInstance<LifecycleManager *>(typeId), &manager);
            QCOMPARE(object->property("down").toBool(), false);
        }
        QVERIFY(alive); // destroying the engine did not delete the manager
        QCOMPARE(manager.state(), LifecycleManager::State::Starting);
    }

    void cppBindingsFollowTheManager()
    {
        TestManager manager;
        QProperty<bool> overlayVisible;
        overlayVisible.setBinding([&] { return manager.bindableShuttingDown().value(); });
        QProperty<QString> caption;
        caption.setBinding([&] {
            return QStringLiteral("%1 job(s) left").arg(manager.bindableActiveSessions().value());
        });
        QCOMPARE(overlayVisible.value(), false);

        canstop::SessionToken job = manager.holdSession(QStringLiteral("job"));
        QTRY_COMPARE_WITH_TIMEOUT(caption.value(), QStringLiteral("1 job(s) left"), 10000);
        manager.requestShutdown();
        QCOMPARE(overlayVisible.value(), true);
        job.reset();
        QTRY_COMPARE_WITH_TIMEOUT(caption.value(), QStringLiteral("0 job(s) left"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(manager.bindableState().value(), LifecycleManager::State::Stopped,
                                  10000);
    }
};

CANSTOP_TEST_MAIN(TestQmlSingleton)
#include "tst_qmlsingleton.moc"
