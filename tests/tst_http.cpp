// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-http (QHttpServer on a GracefulTcpServer speaking HTTP/1.1) as a
// child process, across its SIGTERM, with clients nobody here wrote: curl,
// Python's http.client and wrk, and raw sockets for bad input.
#include "common/childprocess.h"
#include "common/loopback.h"
#include "common/testmain.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// What a sanitizer adds to a busy process's resident memory: ASan keeps
// up to 256 MiB of freed memory in quarantine; TSan's shadow is several
// times the memory it watches.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr qint64 SanitizerResidentKiB = 512 * 1024;
#else
constexpr qint64 SanitizerResidentKiB = 0;
#endif

namespace {

class HttpServer : public ChildProcess
{
public:
    explicit HttpServer(int shutdownTimeoutMs = 20000)
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_HTTP")),
                       arguments(shutdownTimeoutMs))
    {}

    // Socket-activated: listening on `listener`, which the test keeps, so
    // that what connects after the drain waits in its queue, as it would
    // for the next instance of a service, instead of being refused.
    explicit HttpServer(const LoopbackListener &listener)
        : ChildProcess(QStringLiteral("/bin/sh"),
                       QStringList{QStringLiteral("-c"),
                                   QStringLiteral("LISTEN_PID=$$ exec \"$0\" \"$@\""),
                                   QString::fromLocal8Bit(qgetenv("CANSTOP_HTTP"))} +
                           arguments(20000),
                       activated(), atFd3(listener.fd))
    {}

    static QStringList arguments(int shutdownTimeoutMs)
    {
        return {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--shutdown-timeout"),
                QString::number(shutdownTimeoutMs)};
    }

    static QProcessEnvironment activated()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LISTEN_FDS"), QStringLiteral("1"));
        return environment;
    }

    // Open sockets, its listener among them, from /proc.
    int openSockets() const
    {
        const QDir fds(QStringLiteral("/proc/%1/fd").arg(processId()));
        int sockets = 0;
        for (const QFileInfo &fd : fds.entryInfoList(QDir::System))
            sockets += fd.symLinkTarget().contains(QLatin1String("socket:"));
        return sockets;
    }
};

// A program nobody here wrote, run to its end.
struct Tool : ChildProcess
{
    using ChildProcess::ChildProcess;
};

// The server's response to `request` on a new connection; empty if it
// closes without one.
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return "(no connection)";
    socket.write(request);
    QByteArray response;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(5000))
        response += socket.readAll();
    return response + socket.readAll();
}

} // namespace

class TestHttp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(!qgetenv("CANSTOP_HTTP").isEmpty()); }

    // curl keeps its connection for a second request; the SIGTERM comes
    // while that request is in flight: it completes, says Connection: close.
    // A HEAD first too: Qt 6.4's QHttpServer writes a body after its
    // response, which the drain must follow.
    void curlKeepAliveAcrossShutdown_data()
    {
        QTest::addColumn<bool>("headFirst");
        QTest::newRow("GET first") << false;
        QTest::newRow("HEAD first") << true;
    }
    void curlKeepAliveAcrossShutdown()
    {
        QFETCH(bool, headFirst);
        HttpServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const QString base = QStringLiteral("http://127.0.0.1:%1").arg(port);
        const QStringList first =
            headFirst ? QStringList{QStringLiteral("-sv"), QStringLiteral("-I"),
                                    base + QStringLiteral("/fast"), QStringLiteral("--next")}
                      : QStringList{QStringLiteral("-sv"), base + QStringLiteral("/fast")};
        Tool curl(QStringLiteral("curl"),
                  first +
                      QStringList{QStringLiteral("-sv"), base + QStringLiteral("/slow?ms=1500")});
        // curl prints the request's header once it has sent it.
        QVERIFY2(curl.waitForOutput("> GET /slow?ms=1500 HTTP/1.1"), curl.stdErr().constData());
        QVERIFY(curl.waitForOutput("\n> \r\n"));
        server.signal(SIGTERM);
        QCOMPARE(curl.waitForExit(20000), 0);
        if (headFirst)
            QVERIFY2(curl.stdOut().endsWith("\r\n\r\nslow\n"), curl.stdOut().constData());
        else
            QCOMPARE(curl.stdOut(), QByteArray("fast\nslow\n"));
        const QByteArray log = curl.stdErr();
        QVERIFY2(log.contains("Re-using existing connection"), log.constData());
        const qsizetype slow = log.indexOf("> GET /slow");
        QVERIFY(!log.left(slow).contains("< Connection: close"));
        QVERIFY2(log.mid(slow).contains("< Connection: close"), log.constData());
        QCOMPARE(server.waitForExit(20000), 0);
        QVERIFY(server.stdErr().contains("1 session(s) drained"));
    }

    // A streamed response, 400 ms between chunks (longer than the idle
    // grace), is in progress at the SIGTERM: it arrives whole.
    void streamedResponseCompletes()
    {
        HttpServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        Tool curl(QStringLiteral("curl"),
                  {QStringLiteral("-sSN"),
                   QStringLiteral("http://127.0.0.1:%1/stream?ms=4000").arg(port)});
        QVERIFY(curl.waitForOutput("1\n"));
        server.signal(SIGTERM);
        QCOMPARE(curl.waitForExit(20000), 0);
        QCOMPARE(curl.stdOut(), QByteArray("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"));
        QCOMPARE(server.waitForExit(20000), 0);
    }

    // Python's http.client: busy keep-alive connections get their last
    // response with Connection: close, idle ones a clean EOF; no client
    // sees a reset or a response cut short.
    void pythonClientsSeeNoReset()
    {
        HttpServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const int busy = 16;
        const int idle = 8;
        Tool clients(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral(CANSTOP_TESTS_DIR "/http/keepalive_clients.py"),
                      QString::number(port), QString::number(server.processId()),
                      QString::number(busy), QString::number(idle)});
        QCOMPARE(clients.waitForExit(60000), 0);
        QCOMPARE(server.waitForExit(20000), 0);
        const QJsonObject seen = QJsonDocument::fromJson(clients.stdOut()).object();
        const QByteArray report = clients.stdOut() + clients.stdErr();
        QVERIFY2(!seen.isEmpty(), report.constData());
        QCOMPARE(seen.value(QStringLiteral("reset")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("partial")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("unclosed")).toInt(), 0);
        QVERIFY2(seen.value(QStringLiteral("other")).toArray().isEmpty(), report.constData());
        // Every connection ended cleanly, one way or the other.
        QCOMPARE(seen.value(QStringLiteral("closed_after_said_close")).toInt() +
                     seen.value(QStringLiteral("closed_while_idle")).toInt(),
                 busy + idle);
        QVERIFY2(seen.value(QStringLiteral("said_close")).toInt() > 0, report.constData());
    }

    // wrk's 50 keep-alive connections under load, SIGTERM mid-run, on a
    // listener that outlives the server: not one request fails, none is
    // reset, none is refused.
    void wrkUnderLoad()
    {
        const LoopbackListener listener;
        QVERIFY(listener.port);
        HttpServer server(listener);
        QVERIFY(server.waitForPort());
        const int connections = 50;
        Tool wrk(QStringLiteral("wrk"),
                 {QStringLiteral("-t2"), QStringLiteral("-c%1").arg(connections),
                  QStringLiteral("-d3s"), QStringLiteral("--timeout"), QStringLiteral("30s"),
                  QStringLiteral("http://127.0.0.1:%1/fast").arg(listener.port)});
        QTRY_VERIFY_WITH_TIMEOUT(server.openSockets() > connections, 20000);
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(20000), 0);
        QCOMPARE(wrk.waitForExit(30000), 0);
        const QString out = QString::fromLocal8Bit(wrk.stdOut());
        const QRegularExpressionMatch requests =
            QRegularExpression(QStringLiteral("(\\d+) requests in")).match(out);
        QVERIFY2(requests.hasMatch() && requests.captured(1).toLongLong() > 0, qPrintable(out));
        QVERIFY2(!out.contains(QLatin1String("Socket errors")), qPrintable(out));
        QVERIFY2(!out.contains(QLatin1String("Non-2xx")), qPrintable(out));
    }

    // Garbage is closed by QHttpServer; the drain still counts the rest.
    void malformedRequestIsClosed()
    {
        HttpServer server;
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        QCOMPARE(exchange(port, "\x16\x03\x01 not http\r\n\r\n"), QByteArray());
        QVERIFY(exchange(port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").endsWith("fast\n"));
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(20000), 0);
    }

    // Three hostile populations at once: connections that never send a byte
    // (a flood), request heads sent a byte at a time (slowloris), pipelined
    // requests whose answers are never read. curl is served all the while,
    // memory stays within the drain options' bounds, and the drain ends by
    // its deadline naming what it cut; the flood, idle, is simply closed.
    void hostileClientsCannotHoldTheServer()
    {
        constexpr int Flood = 300;
        constexpr int Slow = 20;
        HttpServer server(8000);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const qint64 residentBefore = server.residentKiB();

        std::vector<std::unique_ptr<LoopbackClient>> flood, slow;
        for (int i = 0; i < Flood; ++i) {
            flood.push_back(std::make_unique<LoopbackClient>(port));
            QVERIFY(flood.back()->connected);
        }
        for (int i = 0; i < Slow; ++i) {
            slow.push_back(std::make_unique<LoopbackClient>(port));
            QVERIFY(slow.back()->connected);
            QCOMPARE(::send(slow.back()->fd, "GET /fast HTTP/1.1\r\nX-Slow: ", 28, MSG_NOSIGNAL),
                     28);
        }
        bool serverClosed = false; // a byte after its close would be answered with a reset
        QTimer trickle;
        connect(&trickle, &QTimer::timeout, &trickle, [&slow, &serverClosed] {
            for (const auto &client : slow) {
                if (!serverClosed)
                    ::send(client->fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
        });
        trickle.start(300ms);

        // Pipelined requests, as fast as the server reads them, never an
        // answer read: blocked once the server stops reading it.
        std::atomic<bool> stop{false};
        std::atomic<bool> stalled{false};
        std::thread greedy([&stop, &stalled, port] {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const timeval tick{0, 100000}; // a blocked send looks at `stop` 10 times a second
            ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tick, sizeof tick);
            const sockaddr_in address = loopbackAddress(port);
            if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0) {
                QByteArray requests;
                for (int i = 0; i < 256; ++i)
                    requests += "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
                int blockedTicks = 0;
                while (!stop.load()) {
                    const ssize_t sent =
                        ::send(fd, requests.constData(), size_t(requests.size()), MSG_NOSIGNAL);
                    if (sent < 0 && errno != EAGAIN && errno != EINTR)
                        break;
                    blockedTicks = sent < 0 ? blockedTicks + 1 : 0;
                    if (blockedTicks >= 10) // a second without taking a byte
                        stalled.store(true);
                }
            }
            ::close(fd);
        });
        const auto joinGreedy = qScopeGuard([&] {
            stop.store(true);
            greedy.join();
        });
        QTRY_VERIFY_WITH_TIMEOUT(stalled.load(), 60000);

        const QString fast = QStringLiteral("http://127.0.0.1:%1/fast").arg(port);
        for (int i = 0; i < 5; ++i) {
            Tool curl(QStringLiteral("curl"), {QStringLiteral("-s"), fast});
            QCOMPARE(curl.waitForExit(20000), 0);
            QCOMPARE(curl.stdOut(), QByteArray("fast\n"));
        }
        // Each connection's share is capped by maxPendingInput and
        // maxPendingOutput (1 MiB each by default).
        const qint64 growth = server.residentKiB() - residentBefore;
        QVERIFY2(growth < 64 * 1024 + SanitizerResidentKiB, QByteArray::number(growth));

        QElapsedTimer clock;
        clock.start();
        server.signal(SIGTERM);
        const int exitCode = server.waitForExit(20000);
        const qint64 elapsed = clock.elapsed();
        serverClosed = true;
        const QByteArray log = server.stdErr();
        QCOMPARE(exitCode, 1);
        QVERIFY2(elapsed < 8000 + 3000, QByteArray::number(elapsed)); // its deadline, not later
        // The greedy one is cut too: in the drain if what it sent last ends
        // in the middle of a request's head, at the deadline otherwise.
        const qsizetype tooSlow = log.count("closed in the drain, its request head too slow");
        QVERIFY2(tooSlow == Slow || tooSlow == Slow + 1,
                 QByteArray::number(tooSlow) + " cut as too slow; " + log.right(600));
        QVERIFY2(tooSlow == Slow + 1 || log.contains("closed at the shutdown deadline"),
                 log.constData());
        QVERIFY2(log.contains(QByteArray::number(Slow + 1) + " session(s) abandoned"),
                 log.constData());
    }

    // A request body half sent when the deadline comes: the connection is
    // abandoned, named with why, and the exit code says so; the client
    // gets an EOF, not a reset.
    void halfSentBodyIsAbandonedAtTheDeadline()
    {
        HttpServer server(1500);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(client.waitForConnected(5000));
        client.write("POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
        QVERIFY(client.waitForBytesWritten(5000));
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(20000), 1);
        const QByteArray log = server.stdErr();
        QVERIFY2(log.contains("closed at the shutdown deadline: a request half received"),
                 log.constData());
        QVERIFY2(log.contains("abandoned"), log.constData());
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 10000);
        QCOMPARE(client.error(), QAbstractSocket::RemoteHostClosedError);
        QCOMPARE(client.readAll(), QByteArray());
    }
};

CANSTOP_TEST_MAIN(TestHttp)
#include "tst_http.moc"
