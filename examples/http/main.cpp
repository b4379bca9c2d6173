// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-http: an ordinary QHttpServer, bound to a
// canstop::GracefulTcpServer that speaks HTTP/1.1 (HTTPS with --tls-cert and
// --tls-key: a canstop::GracefulSslServer). On SIGTERM it stops listening,
// answers every request it has begun to read (with "Connection: close"),
// closes idle keep-alive connections cleanly (over TLS, with close_notify),
// and exits 0.
#include <canstop/gracefulsslserver.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include "commandline.h"
#include "dispatcher.h"

#include <QCoreApplication>
#include <QHttpServer>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <memory>

Q_LOGGING_CATEGORY(lcHttp, "http")

namespace {

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
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    app.setApplicationVersion(QStringLiteral(CANSTOP_VERSION_STRING));
    examples::CommandLine options(
        QStringLiteral("canstop-http"),
        QStringLiteral("An HTTP server that drains gracefully: GET /fast, /slow?ms=N, "
                       "/stream?ms=N. On SIGTERM or SIGINT it answers what it has begun to "
                       "read, with Connection: close, and exits 0."));
    examples::addUpgradeOptions(options);
    examples::addListenOptions(options, 8080);
    examples::addTlsOptions(options);
    // A bad value, an unknown option or a missing value is refused: status 2.
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;
    const QHostAddress bind(options.text(QStringLiteral("bind")));
    if (bind.isNull()) {
        std::fprintf(stderr, "canstop-http: --bind %s: not an address\n",
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

    QHttpServer http;
    addRoutes(http);

    // was: http.listen(bind, port);
    const bool https = options.isSet(QStringLiteral("tls-cert"));
    canstop::GracefulTcpServer *server =
        https ? new canstop::GracefulSslServer(&http) : new canstop::GracefulTcpServer(&http);
    // HTTPS: the certificate files are read again on SIGHUP.
    if (auto *tls = qobject_cast<canstop::GracefulSslServer *>(server);
        tls && !tls->setCertificateFiles(options.text(QStringLiteral("tls-cert")),
                                         options.text(QStringLiteral("tls-key"))))
        return 2;
    server->setProtocol(canstop::GracefulTcpServer::Protocol::Http1);
    // Socket activation (systemd's .socket unit) first: restarts refuse no one.
    if (!server->listenInherited() && !server->listen(bind, quint16(port))) {
        qCCritical(lcHttp, "cannot listen on %ls:%lld: %ls", qUtf16Printable(bind.toString()), port,
                   qUtf16Printable(server->errorString()));
        return 2;
    }
    http.bind(server);
    qCInfo(lcHttp, "listening on %ls:%u", qUtf16Printable(server->serverAddress().toString()),
           server->serverPort());
    return lifecycle.exitCode(app.exec());
}
