// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-http: an ordinary QHttpServer, bound to a
// canstop::GracefulTcpServer that speaks HTTP/1.1. On SIGTERM it stops
// listening, answers every request it has begun to read (with
// "Connection: close"), closes idle keep-alive connections cleanly, and
// exits 0.
#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHttpServer>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QTimer>

#include <cstdio>
#include <memory>
#include <optional>

Q_LOGGING_CATEGORY(lcHttp, "http")

namespace {

std::optional<qint64> number(const QCommandLineParser &options, const QString &name, qint64 min,
                             qint64 max)
{
    bool ok = false;
    const qint64 value = options.value(name).toLongLong(&ok);
    if (ok && value >= min && value <= max)
        return value;
    std::fprintf(stderr, "canstop-http: --%s %s: expected a whole number from %lld to %lld\n",
                 qPrintable(name), qPrintable(options.value(name)), min, max);
    return std::nullopt;
}

// The query's "ms" in [0, 60000]; 1000 when absent or out of range.
int delayOf(const QHttpServerRequest &request)
{
    bool ok = false;
    const int ms = request.query().queryItemValue(QStringLiteral("ms")).toInt(&ok);
    return ok && ms >= 0 && ms <= 60000 ? ms : 1000;
}

void addRoutes(QHttpServer &http)
{
    http.route(QStringLiteral("/fast"), [] { return QByteArrayLiteral("fast\n"); });

    // Answered later by a timer, not by blocking the event loop. The
    // timer lives as long as the connection: if the client goes, so does it.
    http.route(QStringLiteral("/slow"),
               [](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                   auto answer = std::make_shared<QHttpServerResponder>(std::move(responder));
                   QTimer::singleShot(delayOf(request), answer->socket(), [answer] {
                       answer->write(QByteArrayLiteral("slow\n"), "text/plain");
                   });
               });

    // Ten chunks, one every "ms" milliseconds (chunked transfer coding).
    http.route(QStringLiteral("/stream"), [](const QHttpServerRequest &request,
                                             QHttpServerResponder &&responder) {
        auto answer = std::make_shared<QHttpServerResponder>(std::move(responder));
        answer->writeStatusLine();
        answer->writeHeader("Content-Type", "text/plain");
        answer->writeHeader("Transfer-Encoding", "chunked");
        auto *timer = new QTimer(answer->socket());
        QObject::connect(timer, &QTimer::timeout, timer, [answer, timer, n = 0]() mutable {
            const QByteArray line = QByteArray::number(++n) + '\n';
            answer->writeBody(QByteArray::number(line.size(), 16) + "\r\n" + line + "\r\n");
            if (n == 10) {
                answer->writeBody("0\r\n\r\n");
                timer->deleteLater();
            }
        });
        timer->start(delayOf(request) / 10);
    });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    QCommandLineParser options;
    options.setApplicationDescription(
        QStringLiteral("An HTTP server that drains gracefully: GET /fast, /slow?ms=N, "
                       "/stream?ms=N. On SIGTERM or SIGINT it answers what it has begun to "
                       "read, with Connection: close, and exits 0."));
    options.addHelpOption();
    options.addVersionOption();
    options.addOptions({
        {QStringLiteral("port"),
         QStringLiteral("Port to listen on; 0: any free one (default 8080)."),
         QStringLiteral("port"), QStringLiteral("8080")},
        {QStringLiteral("bind"), QStringLiteral("Address to listen on (default 127.0.0.1)."),
         QStringLiteral("address"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("shutdown-timeout"),
         QStringLiteral("Shutdown deadline in ms (default 30000)."), QStringLiteral("ms"),
         QStringLiteral("30000")},
    });
    // An unknown option or a missing value is refused as a bad value is: status 2.
    if (!options.parse(app.arguments())) {
        std::fprintf(stderr, "canstop-http: %s\n", qPrintable(options.errorText()));
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
        std::fprintf(stderr, "canstop-http: --bind %s: not an address\n",
                     qPrintable(options.value(QStringLiteral("bind"))));
    if (!port || !timeout || bind.isNull())
        return 2;

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.useSystemd();
    lifecycle.setShutdownTimeout(std::chrono::milliseconds(*timeout));

    QHttpServer http;
    addRoutes(http);

    // was: http.listen(bind, port);
    auto *server = new canstop::GracefulTcpServer(&http);
    server->setProtocol(canstop::GracefulTcpServer::Protocol::Http1);
    // Socket activation (systemd's .socket unit) first: restarts refuse no one.
    if (!server->listenInherited() && !server->listen(bind, quint16(*port))) {
        qCCritical(lcHttp, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind.toString()),
                   *port, qUtf16Printable(server->errorString()));
        return 2;
    }
    http.bind(server);
    qCInfo(lcHttp, "listening on %ls:%u", qUtf16Printable(server->serverAddress().toString()),
           server->serverPort());
    return lifecycle.exitCode(app.exec());
}
