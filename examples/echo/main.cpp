// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-echo: an ordinary Qt echo server, with QTcpServer swapped for
// canstop::GracefulTcpServer and a few lines of lifecycle setup. On SIGTERM
// it stops listening, lets every client have its echo, and exits 0.
#include <canstop/gracefultcpserver.h>
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include "dispatcher.h"
#include "options.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QTcpSocket>

#include <csignal>
#include <cstdio>
#include <optional>

Q_LOGGING_CATEGORY(lcEcho, "echo")

namespace {

// An address as written, or a host name's first address; never the
// wildcard unless asked for with 0.0.0.0 or ::.
std::optional<QHostAddress> address(const QString &text)
{
    if (const QHostAddress literal(text); !literal.isNull())
        return literal;
    const QList<QHostAddress> found = QHostInfo::fromName(text).addresses();
    if (!found.isEmpty())
        return found.first();
    std::fprintf(stderr, "canstop-echo: --bind %s: not an address or a known host name\n",
                 qPrintable(text));
    return std::nullopt;
}

} // namespace

int main(int argc, char **argv)
{
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    examples::CommandLine options(
        QStringLiteral("canstop-echo"),
        QStringLiteral("An echo server that drains gracefully: on SIGTERM or SIGINT it stops "
                       "listening, echoes what every client sent, and exits 0; a second signal "
                       "ends it at once."));
    addEchoOptions(options);
    // A bad value, an unknown option or a missing value is refused: status 2.
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;
    const auto bind = address(options.text(QStringLiteral("bind")));
    if (!bind)
        return 2;
    const auto number = [&options](const char *name) {
        return options.number(QLatin1String(name));
    };

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
    lifecycle.useSystemd(); // when systemd started it: READY, STATUS, STOPPING, watchdog
    lifecycle.setShutdownTimeout(std::chrono::milliseconds(number("shutdown-timeout")));
    lifecycle.setLameDuck(std::chrono::milliseconds(number("lame-duck")));

    canstop::GracefulTcpServer server; // was: QTcpServer server;
    server.setMaxPendingOutput(number("max-pending"));
    server.setMaxPendingInput(number("max-pending"));
    if (options.isSet(QStringLiteral("backlog")))
        server.setListenBacklogSize(int(number("backlog")));
    const auto serve = [](QTcpSocket *client) { // in whichever thread serves it
        QObject::connect(client, &QTcpSocket::readyRead, client,
                         [client] { client->write(client->readAll()); });
        QObject::connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
    };
    if (number("threads") > 0) {
        server.serveInThreads(int(number("threads")), serve);
    } else {
        QObject::connect(&server, &QTcpServer::newConnection, &server, [&server, serve] {
            while (QTcpSocket *client = server.nextPendingConnection())
                serve(client);
        });
    }

    // Socket activation (systemd's .socket unit) first: restarts refuse no one.
    if (server.listenInherited(QStringLiteral("echo")) || server.listenInherited()) {
        qCInfo(lcEcho, "using the socket passed by the service manager (or an upgrade); --port "
                       "and --bind are ignored");
    } else if (!server.listen(*bind, quint16(number("port")))) {
        qCCritical(lcEcho, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind->toString()),
                   number("port"), qUtf16Printable(server.errorString()));
        return 2;
    }
    qCInfo(lcEcho, "listening on %ls:%u", qUtf16Printable(server.serverAddress().toString()),
           server.serverPort());
    if (options.isSet(QStringLiteral("fd-store")) && !server.isInherited())
        server.storeListener(QStringLiteral("echo"));

    // Readiness and liveness for a load balancer, on a port of their own.
    canstop::HealthProbe health(&lifecycle);
    if (options.isSet(QStringLiteral("health-port"))) {
        if (!health.listen(*bind, quint16(number("health-port"))))
            return 2;
        qCInfo(lcEcho, "health probe on %ls:%u", qUtf16Printable(bind->toString()),
               health.serverPort());
    }
    return lifecycle.exitCode(app.exec()); // 0 once every client has had its echo
}
