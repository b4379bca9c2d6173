// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-websocket: a WebSocket echo server, with QWebSocketServer
// swapped for canstop::GracefulWebSocketServer. On SIGTERM every client
// gets the echoes of what the server received, then a close frame with
// code 1001 (Going Away); the server waits for each to answer and exits 0.
#include <canstop/gracefultcpserver.h>
#include <canstop/gracefulwebsocketserver.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QWebSocket>

#include <cstdio>
#include <optional>

Q_LOGGING_CATEGORY(lcWebSocket, "websocket")

namespace {

std::optional<qint64> number(const QCommandLineParser &options, const QString &name, qint64 min,
                             qint64 max)
{
    bool ok = false;
    const qint64 value = options.value(name).toLongLong(&ok);
    if (ok && value >= min && value <= max)
        return value;
    std::fprintf(stderr, "canstop-websocket: --%s %s: expected a whole number from %lld to %lld\n",
                 qPrintable(name), qPrintable(options.value(name)), min, max);
    return std::nullopt;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    QCommandLineParser options;
    options.setApplicationDescription(
        QStringLiteral("A WebSocket echo server that drains gracefully: on SIGTERM or SIGINT "
                       "every client gets its echoes, then close code 1001, and it exits 0."));
    options.addHelpOption();
    options.addVersionOption();
    options.addOptions({
        {QStringLiteral("port"),
         QStringLiteral("Port to listen on; 0: any free one (default 8081)."),
         QStringLiteral("port"), QStringLiteral("8081")},
        {QStringLiteral("bind"), QStringLiteral("Address to listen on (default 127.0.0.1)."),
         QStringLiteral("address"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("shutdown-timeout"),
         QStringLiteral("Shutdown deadline in ms (default 30000)."), QStringLiteral("ms"),
         QStringLiteral("30000")},
    });
    // An unknown option or a missing value is refused as a bad value is: status 2.
    if (!options.parse(app.arguments())) {
        std::fprintf(stderr, "canstop-websocket: %s\n", qPrintable(options.errorText()));
        return 2;
    }
    if (options.isSet(QStringLiteral("help")))
        options.showHelp();
    if (options.isSet(QStringLiteral("version")))
        options.showVersion();
    const auto port = number(options, QStringLiteral("port"), 0, 65535);
    const auto timeout = number(options, QStringLiteral("shutdown-timeout"), 1, INT_MAX);
    const QHostAddress bind(options.value(QStringLiteral("bind")));
    if (bind.isNull())
        std::fprintf(stderr, "canstop-websocket: --bind %s: not an address\n",
                     qPrintable(options.value(QStringLiteral("bind"))));
    if (!port || !timeout || bind.isNull())
        return 2;

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.useSystemd();
    lifecycle.setShutdownTimeout(std::chrono::milliseconds(*timeout));

    // was: QWebSocketServer server(QStringLiteral("echo"), QWebSocketServer::NonSecureMode);
    canstop::GracefulWebSocketServer server(QStringLiteral("echo"));
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
    if (!server.listenInherited() && !server.listen(bind, quint16(*port))) {
        qCCritical(lcWebSocket, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind.toString()),
                   *port, qUtf16Printable(server.tcpServer()->errorString()));
        return 2;
    }
    qCInfo(lcWebSocket, "listening on %ls:%u", qUtf16Printable(server.serverAddress().toString()),
           server.serverPort());
    const int exitCode = lifecycle.exitCode(app.exec());
    qCInfo(lcWebSocket, "echoed %lld message(s)", static_cast<long long>(echoed));
    return exitCode;
}
