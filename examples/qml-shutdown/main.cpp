// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-qml-shutdown: a window with three jobs. Closing it, or Ctrl+C,
// shows how the shutdown is going; the program exits when the jobs are done
// or the deadline passes.
#include <canstop/lifecyclemanager.h>

#include <QGuiApplication>
#include <QQmlApplicationEngine>

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    canstop::LifecycleManager lifecycle; // the QML singleton `Lifecycle`
    lifecycle.watchSignals();
    lifecycle.setShutdownTimeout(std::chrono::seconds(10));

    QQmlApplicationEngine engine;
    engine.load(QUrl(QStringLiteral("qrc:/QmlShutdown/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    return lifecycle.exitCode(app.exec());
}
