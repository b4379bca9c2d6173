// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-notes: a note editor whose text survives every way a desktop
// program ends. It saves on SIGTERM or Ctrl+C, on a system shutdown
// (logind), at a logout (asking first when the desktop allows it), and
// asks "Save changes?" when its window is closed. Before the machine
// sleeps it closes its sync connection, and opens it again on resume.
#include <canstop/desktopsession.h>
#include <canstop/lifecyclemanager.h>

#include "commandline.h"
#include "notefile.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QTcpSocket>

#include <utility>

using namespace std::chrono_literals;

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    examples::CommandLine options(QStringLiteral("canstop-notes"),
                                  QStringLiteral("A note editor that never loses a word."));
    options.addText(QStringLiteral("file"), QStringLiteral("The note's file."),
                    QStringLiteral("path"), QStringLiteral("notes.txt"));
    options.addText(QStringLiteral("draft"),
                    QStringLiteral("Start with this text typed, not yet saved."),
                    QStringLiteral("text"));
    options.addNumber(QStringLiteral("sync-port"),
                      QStringLiteral("Keep a sync connection to 127.0.0.1:<port>."),
                      QStringLiteral("port"), 1, 65535);
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;

    canstop::LifecycleManager lifecycle; // the QML singleton `Lifecycle`
    lifecycle.watchSignals();
    lifecycle.setShutdownTimeout(4s);         // within logind's default 5 s
    lifecycle.useLogind();                    // a system shutdown, and sleep
    canstop::followDesktopSession(lifecycle); // a logout: saveRequested()

    NoteFile note(options.text(QStringLiteral("file")));
    if (options.isSet(QStringLiteral("draft")))
        note.setText(note.text() + options.text(QStringLiteral("draft")));
    // However the program ends, what was typed is saved first.
    QObject::connect(&lifecycle, &canstop::LifecycleManager::shutdownRequested, &note,
                     [&note] { note.save(); });

    // The sync connection: closed before a sleep (which holds for it),
    // opened again on resume.
    QTcpSocket sync;
    bool pausing = false;
    const auto connectSync = [&] {
        if (options.isSet(QStringLiteral("sync-port")))
            sync.connectToHost(QHostAddress::LocalHost,
                               quint16(options.number(QStringLiteral("sync-port"))));
    };
    QObject::connect(&lifecycle, &canstop::LifecycleManager::aboutToSleep, &sync, [&] {
        if (sync.state() == QAbstractSocket::UnconnectedState)
            return;
        pausing = lifecycle.holdSleep(QStringLiteral("sync"));
        sync.disconnectFromHost();
    });
    QObject::connect(&sync, &QTcpSocket::disconnected, &lifecycle, [&] {
        if (std::exchange(pausing, false))
            lifecycle.releaseSleep(QStringLiteral("sync"));
    });
    QObject::connect(&lifecycle, &canstop::LifecycleManager::resumed, &sync, connectSync);
    connectSync();

    QQmlApplicationEngine engine;
    engine.setInitialProperties({{QStringLiteral("note"), QVariant::fromValue(&note)}});
    engine.load(QUrl(QStringLiteral("qrc:/Notes/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    qInfo("editing %ls", qUtf16Printable(note.path()));
    return lifecycle.exitCode(app.exec());
}
