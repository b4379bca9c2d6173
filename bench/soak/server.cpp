// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-soak-server: each kind of server canstop drains, in one process,
// for the soak (bench/soak, tests/tst_soak.cpp): a raw echo, HTTP/1.1
// keep-alive (QHttpServer), a WebSocket echo and the health probe, each on
// a port of its own, printed as "ports echo=… http=… websocket=… probe=…".
// Commands on stdin, one a line:
//   cycles N   N holdSession() and N trackSession() cycles; answers "cycled"
//   trim       malloc_trim(0); answers "trimmed"
//   report     answers "report fds=… rss_kib=… heap_kib=… qobjects=… sessions=…"
//              (heap_kib: what malloc has handed out and not had back)
// SIGHUP reloads, SIGTERM drains and ends it.
//
// qobjects counts the QObjects alive in the process, in every thread,
// through QtCore's hooks for tools (qtHookData, which GammaRay uses): every
// timer (QTimer) and socket notifier (QSocketNotifier) is one, as are the
// sockets and their guards; -1 when the hooks are not there.
#include <canstop/eventdispatcher.h>
#include <canstop/gracefultcpserver.h>
#include <canstop/gracefulwebsocketserver.h>
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHttpServer>
#include <QSocketNotifier>
#include <QWebSocket>

#include <atomic>
#include <cstdio>
#include <malloc.h>
#include <unistd.h>

// QtCore's table of hooks for tools (qhooks_p.h): its size at 1, then the
// functions called as each QObject is made (3) and destroyed (4).
extern Q_DECL_IMPORT quintptr qtHookData[];

namespace {

constexpr int HookSize = 1;
constexpr int HookAddQObject = 3;
constexpr int HookRemoveQObject = 4;

std::atomic<long> s_objects{0};
bool s_counting = false;

void countObjects()
{
    if (qtHookData[HookSize] <= HookRemoveQObject || qtHookData[HookAddQObject] ||
        qtHookData[HookRemoveQObject])
        return; // another tool's, or none
    qtHookData[HookAddQObject] = reinterpret_cast<quintptr>(+[](QObject *) { ++s_objects; });
    qtHookData[HookRemoveQObject] = reinterpret_cast<quintptr>(+[](QObject *) { --s_objects; });
    s_counting = true;
}

long residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    }
    return -1;
}

long openDescriptors()
{
    // The directory's own descriptor is counted in every report alike.
    return long(QDir(QStringLiteral("/proc/self/fd"))
                    .entryList(QDir::NoDotAndDotDot | QDir::System)
                    .size());
}

void say(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    countObjects();
    canstop::EventDispatcher::installInMainThread(); // unless CANSTOP_EVENT_DISPATCHER=qt
    QCoreApplication app(argc, argv);
    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.setShutdownTimeout(std::chrono::seconds(10));

    canstop::GracefulTcpServer echo;
    QObject::connect(&echo, &QTcpServer::newConnection, &echo, [&echo] {
        while (QTcpSocket *client = echo.nextPendingConnection()) {
            QObject::connect(client, &QTcpSocket::readyRead, client,
                             [client] { client->write(client->readAll()); });
            QObject::connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
        }
    });

    QHttpServer http;
    http.route(QStringLiteral("/"), [] { return QStringLiteral("soak\n"); });
    auto *httpServer = new canstop::GracefulTcpServer(&http);
    httpServer->setProtocol(canstop::GracefulTcpServer::Protocol::Http1);

    canstop::GracefulWebSocketServer webSocket(QStringLiteral("soak"));
    QObject::connect(&webSocket, &QWebSocketServer::newConnection, &webSocket, [&webSocket] {
        while (QWebSocket *client = webSocket.nextPendingConnection()) {
            QObject::connect(
                client, &QWebSocket::textMessageReceived, client,
                [client](const QString &message) { client->sendTextMessage(message); });
            QObject::connect(client, &QWebSocket::disconnected, client, &QObject::deleteLater);
        }
    });

    canstop::HealthProbe probe(&lifecycle);
    if (!echo.listen(QHostAddress::LocalHost) || !httpServer->listen(QHostAddress::LocalHost) ||
        !webSocket.listen(QHostAddress::LocalHost) || !probe.listen(QHostAddress::LocalHost))
        return 2;
    http.bind(httpServer);
    say(QStringLiteral("ports echo=%1 http=%2 websocket=%3 probe=%4")
            .arg(echo.serverPort())
            .arg(httpServer->serverPort())
            .arg(webSocket.serverPort())
            .arg(probe.serverPort())
            .toLatin1());

    QByteArray input;
    QSocketNotifier commands(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&commands, &QSocketNotifier::activated, &app, [&] {
        char buffer[256];
        const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (got <= 0) {
            commands.setEnabled(false); // the driver is gone; SIGTERM ends it
            return;
        }
        input.append(buffer, got);
        for (qsizetype end = input.indexOf('\n'); end >= 0; end = input.indexOf('\n')) {
            const QList<QByteArray> words = input.left(end).split(' ');
            input.remove(0, end + 1);
            if (words.value(0) == "cycles") {
                const int count = words.value(1).toInt();
                for (int i = 0; i < count; ++i)
                    const canstop::SessionToken held =
                        lifecycle.holdSession(QStringLiteral("soak"));
                for (int i = 0; i < count; ++i) {
                    auto *session = new QObject;
                    lifecycle.trackSession(session);
                    delete session;
                }
                say("cycled");
            } else if (words.value(0) == "trim") {
                ::malloc_trim(0); // what malloc holds free goes back to the system
                say("trimmed");
            } else if (words.value(0) == "report") {
                say(QStringLiteral("report fds=%1 rss_kib=%2 heap_kib=%5 qobjects=%3 sessions=%4")
                        .arg(openDescriptors())
                        .arg(residentKiB())
                        .arg(s_counting ? s_objects.load() : -1)
                        .arg(lifecycle.activeSessions())
                        .arg(long(mallinfo2().uordblks / 1024))
                        .toLatin1());
            }
        }
    });
    return lifecycle.exitCode(app.exec());
}
