// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Runs the tst_*.qml files with the application's manager in place.
#include <canstop/lifecyclemanager.h>

#include <QQmlEngine>
#include <QtQuickTest>

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        // The manager the `Lifecycle` singleton must be; the test decides
        // when the sequence ends, not QCoreApplication::exit().
        m_manager = new canstop::LifecycleManager(this);
        m_manager->setAutoExit(false);
        m_manager->setShutdownTimeout(std::chrono::seconds(30));
    }
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QString::fromLocal8Bit(qgetenv("CANSTOP_QML_IMPORT_PATH")));
    }

private:
    canstop::LifecycleManager *m_manager = nullptr;
};

QUICK_TEST_MAIN_WITH_SETUP(qml, Setup)

#include "main.moc"
