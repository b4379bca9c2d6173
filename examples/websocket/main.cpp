// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-websocket: a WebSocket echo server, with QWebSocketServer
// swapped for canstop::GracefulWebSocketServer. On SIGTERM every client
// gets the echoes of what the server received, then a close frame with
// code 1001 (Going Away); the server waits for each to answer and exits 0.
// With --tls-cert and --tls-key it speaks wss, each close ending with TLS
// close_notify.
#include <canstop/gracefulsslserver.h>
#include <canstop/gracefulwebsocketserver.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include "commandline.h"
#include "dispatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QWebSocket>

#include <csignal>
#include <cstdio>

Q_LOGGING_CATEGORY(lcWebSocket, "websocket")

int main(int argc, char **argv)
{
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    examples::CommandLine options(
        QStringLiteral("canstop-websocket"),
        QStringLiteral("A WebSocket echo server that drains gracefully: on SIGTERM or SIGINT "
                       "every client gets its echoes, then close code 1001, and it exits 0."));
    examples::addUpgradeOptions(options);
    examples::addListenOptions(options, 8081);
    examples::addTlsOptions(options);
    // A bad value, an unknown option or a missing value is refused: status 2.
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;
    const QHostAddress bind(options.text(QStringLiteral("bind")));
    if (bind.isNull()) {
        std::fprintf(stderr, "canstop-websocket: --bind %s: not an address\n",
                     qPrintable(options.text(QStringLiteral("bind"))));
        return 2;
    }
    const qint64 port = options.number(QStringLiteral("port"));

    canstop::LifecycleManager lifecycle;
    // SIGUSR2: a new instance of the program takes the listeners, and this
    // one drains once it is ready; nobody is refused.
    lifecycle.watchSignals({SIGINT, SIGTERM, SIGHUP, SIGUSR2});
    lifecycle.upgradeOnSignal();
    lifecycle.setUpgradeTimeout(
        std::chrono::milliseconds(options.number(QStringLiteral("upgrade-timeout"))));
    if (options.isSet(QStringLiteral("pid-file")))
        lifecycle.setPidFile(options.text(QStringLiteral("pid-file")));
    if (options.isSet(QStringLiteral("report-file")) &&
        !lifecycle.setReportFile(options.text(QStringLiteral("report-file"))))
        return 2;
    lifecycle.useSystemd();
    lifecycle.setShutdownTimeout(
        std::chrono::milliseconds(options.number(QStringLiteral("shutdown-timeout"))));

    // was: QWebSocketServer server(QStringLiteral("echo"), QWebSocketServer::NonSecureMode);
    const bool wss = options.isSet(QStringLiteral("tls-cert"));
    canstop::GracefulWebSocketServer server(QStringLiteral("echo"),
                                            wss ? QWebSocketServer::SecureMode
                                                : QWebSocketServer::NonSecureMode);
    // wss: the certificate files are read again on SIGHUP.
    if (auto *tls = qobject_cast<canstop::GracefulSslServer *>(server.tcpServer());
        tls && !tls->setCertificateFiles(options.text(QStringLiteral("tls-cert")),
                                         options.text(QStringLiteral("tls-key"))))
        return 2;
    qint64 echoed = 0;
    QObject::connect(&server, &QWebSocketServer::newConnection, &server, [&server, &echoed] {
        while (QWebSocket *client = server.nextPendingConnection()) {
            QObject::connect(client, &QWebSocket::textMessageReceived, client,
                             [client, &echoed](const QString &message) {
                                 client->sendTextMessage(message);
                                 ++echoed;
                             });
            QObject::connect(client, &QWebSocket::binaryMessageReceived, client,
                             [client, &echoed](const QByteArray &message) {
                                 client->sendBinaryMessage(message);
                                 ++echoed;
                             });
            QObject::connect(client, &QWebSocket::disconnected, client, &QObject::deleteLater);
        }
    });

    // Socket activation (systemd's .socket unit) first: restarts refuse no one.
    if (!server.listenInherited() && !server.listen(bind, quint16(port))) {
        qCCritical(lcWebSocket, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind.toString()),
                   port, qUtf16Printable(server.tcpServer()->errorString()));
        return 2;
    }
    qCInfo(lcWebSocket, "listening on %ls:%u", qUtf16Printable(server.serverAddress().toString()),
           server.serverPort());
    const int exitCode = lifecycle.exitCode(app.exec());
    qCInfo(lcWebSocket, "echoed %lld message(s)", static_cast<long long>(echoed));
    return exitCode;
}
