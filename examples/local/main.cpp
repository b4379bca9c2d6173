// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-local-echo: an echo server on a local (Unix domain) socket, with
// QLocalServer swapped for canstop::GracefulLocalServer. On SIGTERM it
// stops listening, lets every client have its echo, and exits 0; on
// SIGUSR2 a new instance takes its place and nobody is refused.
#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include "dispatcher.h"
#include "options.h"

#include <QCoreApplication>
#include <QLocalSocket>
#include <QLoggingCategory>

#include <csignal>
#include <cstdio>

Q_LOGGING_CATEGORY(lcLocalEcho, "local-echo")

int main(int argc, char **argv)
{
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    examples::CommandLine options(
        QStringLiteral("canstop-local-echo"),
        QStringLiteral(
            "An echo server on a local socket that drains gracefully on SIGTERM or SIGINT."));
    addLocalEchoOptions(options);
    // A bad value, an unknown option or a second name is refused: status 2.
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;
    const QString name = options.positional().value(0, QStringLiteral("canstop-local-echo"));

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals({SIGINT, SIGTERM, SIGUSR2});
    lifecycle.upgradeOnSignal(); // SIGUSR2: the program's file, started anew, takes over
    lifecycle.setUpgradeTimeout(
        std::chrono::milliseconds(options.number(QStringLiteral("upgrade-timeout"))));
    if (options.isSet(QStringLiteral("pid-file")))
        lifecycle.setPidFile(options.text(QStringLiteral("pid-file")));
    if (options.isSet(QStringLiteral("report-file")) &&
        !lifecycle.setReportFile(options.text(QStringLiteral("report-file"))))
        return 2;
    lifecycle.useSystemd(); // when systemd started it: READY, STATUS, STOPPING

    canstop::GracefulLocalServer server; // was: QLocalServer server;
    QObject::connect(&server, &QLocalServer::newConnection, &server, [&server] {
        while (QLocalSocket *client = server.nextPendingConnection()) {
            QObject::connect(client, &QLocalSocket::readyRead, client,
                             [client] { client->write(client->readAll()); });
            QObject::connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
        }
    });
    // Under systemd, the socket it passed (socket activation or the fd store).
    if (!server.listenInherited(QStringLiteral("local-echo")) && !server.listenInherited() &&
        !server.listen(name)) {
        qCCritical(lcLocalEcho, "cannot listen on %ls: %ls", qUtf16Printable(name),
                   qUtf16Printable(server.errorString()));
        return 2;
    }
    if (options.isSet(QStringLiteral("fd-store")) && !server.isInherited())
        server.storeListener(QStringLiteral("local-echo"));
    qCInfo(lcLocalEcho, "listening on %ls", qUtf16Printable(server.fullServerName()));
    return lifecycle.exitCode(app.exec());
}
