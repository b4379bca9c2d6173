// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefultcpserver.h>
#include <canstop/gracefulwebsocketserver.h>
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QTimer>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    canstop::LifecycleManager lifecycle;
    if (!lifecycle.watchSignals())
        return 2;
    canstop::GracefulTcpServer server(&lifecycle);
    if (!server.listen(QHostAddress::LocalHost))
        return 3;
    canstop::GracefulWebSocketServer webSockets(&lifecycle, QStringLiteral("consumer"));
    if (!webSockets.listen(QHostAddress::LocalHost))
        return 5;

    // `import Canstop` from the installed module: the singleton is this manager.
    QQmlEngine engine;
    engine.addImportPath(QStringLiteral(CANSTOP_QML_IMPORT_DIR));
    QQmlComponent component(&engine);
    component.setData(
        "import QtQml\nimport Canstop\nQtObject { property QtObject manager: Lifecycle }", QUrl());
    QScopedPointer<QObject> object(component.create());
    if (!object || object->property("manager").value<QObject *>() != &lifecycle) {
        qWarning("import Canstop failed: %s", qPrintable(component.errorString()));
        return 4;
    }
    QTimer::singleShot(0, &lifecycle, [&lifecycle] { lifecycle.requestShutdown(42); });
    return app.exec(); // 42, from the shutdown sequence
}
