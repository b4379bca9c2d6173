// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-echo: an ordinary Qt echo server, with QTcpServer swapped for
// canstop::GracefulTcpServer and a few lines of lifecycle setup. On SIGTERM
// it stops listening, lets every client have its echo, and exits 0.
#include <canstop/gracefultcpserver.h>
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QTcpSocket>

#include <cstdio>
#include <optional>

Q_LOGGING_CATEGORY(lcEcho, "echo")

namespace {

// The option's value as a number in [min, max], or nothing after a message.
std::optional<qint64> number(const QCommandLineParser &options, const QString &name, qint64 min,
                             qint64 max)
{
    bool ok = false;
    const qint64 value = options.value(name).toLongLong(&ok);
    if (ok && value >= min && value <= max)
        return value;
    std::fprintf(stderr, "canstop-echo: --%s %s: expected a whole number from %lld to %lld\n",
                 qPrintable(name), qPrintable(options.value(name)), min, max);
    return std::nullopt;
}

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
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    QCommandLineParser options;
    options.setApplicationDescription(
        QStringLiteral("An echo server that drains gracefully: on SIGTERM or SIGINT it stops "
                       "listening, echoes what every client sent, and exits 0; a second signal "
                       "ends it at once."));
    options.addHelpOption();
    options.addVersionOption();
    options.addOptions({
        {QStringLiteral("port"),
         QStringLiteral("Port to listen on; 0: any free one (default 48879)."),
         QStringLiteral("port"), QStringLiteral("48879")},
        {QStringLiteral("bind"),
         QStringLiteral("Address or host name to listen on (default 127.0.0.1)."),
         QStringLiteral("address"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("shutdown-timeout"),
         QStringLiteral("Shutdown deadline in ms (default 30000)."), QStringLiteral("ms"),
         QStringLiteral("30000")},
        {QStringLiteral("max-pending"),
         QStringLiteral("Bytes per client held unsent, and read ahead, before reading "
                        "from it pauses (default 1048576)."),
         QStringLiteral("bytes"), QStringLiteral("1048576")},
        {QStringLiteral("backlog"),
         QStringLiteral("Listen backlog (default: the kernel's maximum)."), QStringLiteral("n")},
        {QStringLiteral("lame-duck"),
         QStringLiteral("On SIGTERM, serve on for this long (ms) while readiness already fails, "
                        "then drain (default 0)."),
         QStringLiteral("ms"), QStringLiteral("0")},
        {QStringLiteral("health-port"),
         QStringLiteral("Answer /readyz and /livez on this port, at the --bind address."),
         QStringLiteral("port")},
        {QStringLiteral("threads"),
         QStringLiteral("Serve the clients in this many threads (default 0: in the main one)."),
         QStringLiteral("n"), QStringLiteral("0")},
        {QStringLiteral("fd-store"),
         QStringLiteral("Under systemd, keep the listening socket in the unit's file "
                        "descriptor store (FileDescriptorStoreMax=1), for the next start.")},
    });
    // An unknown option or a missing value is refused as a bad value is: status 2.
    if (!options.parse(app.arguments())) {
        std::fprintf(stderr, "canstop-echo: %s\n", qPrintable(options.errorText()));
        return 2;
    }
    if (options.isSet(QStringLiteral("help")))
        options.showHelp();
    if (options.isSet(QStringLiteral("version")))
        options.showVersion();
    const auto port = number(options, QStringLiteral("port"), 0, 65535);
    const auto timeout = number(options, QStringLiteral("shutdown-timeout"), 1, INT_MAX);
    const auto maxPending = number(options, QStringLiteral("max-pending"), 1, INT_MAX);
    const auto backlog = options.isSet(QStringLiteral("backlog"))
                             ? number(options, QStringLiteral("backlog"), 1, INT_MAX)
                             : std::optional<qint64>(0);
    const auto lameDuck = number(options, QStringLiteral("lame-duck"), 0, INT_MAX);
    const auto threads =
        number(options, QStringLiteral("threads"), 0, canstop::GracefulTcpServer::MaxWorkerThreads);
    const auto healthPort = options.isSet(QStringLiteral("health-port"))
                                ? number(options, QStringLiteral("health-port"), 0, 65535)
                                : std::optional<qint64>(-1);
    const auto bind = address(options.value(QStringLiteral("bind")));
    if (!port || !timeout || !maxPending || !backlog || !lameDuck || !threads || !healthPort ||
        !bind)
        return 2;

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.useSystemd(); // when systemd started it: READY, STATUS, STOPPING, watchdog
    lifecycle.setShutdownTimeout(std::chrono::milliseconds(*timeout));
    lifecycle.setLameDuck(std::chrono::milliseconds(*lameDuck));

    canstop::GracefulTcpServer server; // was: QTcpServer server;
    server.setMaxPendingOutput(*maxPending);
    server.setMaxPendingInput(*maxPending);
    if (*backlog > 0)
        server.setListenBacklogSize(int(*backlog));
    const auto serve = [](QTcpSocket *client) { // in whichever thread serves it
        QObject::connect(client, &QTcpSocket::readyRead, client,
                         [client] { client->write(client->readAll()); });
        QObject::connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
    };
    if (*threads > 0) {
        server.serveInThreads(int(*threads), serve);
    } else {
        QObject::connect(&server, &QTcpServer::newConnection, &server, [&server, serve] {
            while (QTcpSocket *client = server.nextPendingConnection())
                serve(client);
        });
    }

    // Socket activation (systemd's .socket unit) first: restarts refuse no one.
    if (server.listenInherited(QStringLiteral("echo")) || server.listenInherited()) {
        qCInfo(lcEcho, "using the socket passed by the service manager; --port and --bind "
                       "are ignored");
    } else if (!server.listen(*bind, quint16(*port))) {
        qCCritical(lcEcho, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind->toString()),
                   *port, qUtf16Printable(server.errorString()));
        return 2;
    }
    qCInfo(lcEcho, "listening on %ls:%u", qUtf16Printable(server.serverAddress().toString()),
           server.serverPort());
    if (options.isSet(QStringLiteral("fd-store")) && !server.isInherited())
        server.storeListener(QStringLiteral("echo"));

    // Readiness and liveness for a load balancer, on a port of their own.
    canstop::HealthProbe health(&lifecycle);
    if (*healthPort >= 0) {
        if (!health.listen(*bind, quint16(*healthPort)))
            return 2;
        qCInfo(lcEcho, "health probe on %ls:%u", qUtf16Printable(bind->toString()),
               health.serverPort());
    }
    return lifecycle.exitCode(app.exec()); // 0 once every client has had its echo
}
