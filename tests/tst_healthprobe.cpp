// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The health probe and the lame duck, in whole programs: canstop-echo with
// --health-port and --lame-duck, and the test helper, whose main thread can
// be blocked. Requests are raw bytes over TCP on 127.0.0.1.
#include "common/childprocess.h"
#include "common/probedecho.h"
#include "common/testmain.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace std::chrono_literals;

namespace {

// The whole answer to `request`, until the probe closes; empty if none.
QByteArray exchange(quint16 port, const QByteArray &request, int timeoutMs = 20000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(request);
    QByteArray answer;
    const QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

int status(const QByteArray &answer)
{
    static const QRegularExpression line(QStringLiteral("^HTTP/1\\.1 (\\d{3}) "));
    return line.match(QString::fromLatin1(answer)).captured(1).toInt();
}

int get(quint16 port, const QByteArray &path)
{
    return status(exchange(port, "GET " + path + " HTTP/1.1\r\nHost: probe\r\n\r\n"));
}

quint16 number(const QByteArray &output, const QString &pattern)
{
    return QRegularExpression(pattern).match(QString::fromLocal8Bit(output)).captured(1).toUShort();
}

} // namespace

class TestHealthProbe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_ECHO").isEmpty());
        QVERIFY(!qgetenv("CANSTOP_TEST_HELPER").isEmpty());
        QVERIFY(!qgetenv("CANSTOP_WORKER").isEmpty());
    }

    void readinessFailsAtOnceWhileTheLameDuckServes()
    {
        ProbedEcho echo({QStringLiteral("--lame-duck"), QStringLiteral("3000")});
        QVERIFY(echo.healthPort != 0);
        QCOMPARE(get(echo.healthPort, "/readyz"), 200);
        QCOMPARE(get(echo.healthPort, "/livez"), 200);
        const QByteArray body = exchange(echo.healthPort, "GET /readyz HTTP/1.1\r\n\r\n");
        QVERIFY2(body.contains("\"ready\":true") && body.contains("\"state\":\"running\"") &&
                     body.contains("\"phase\":\"\""),
                 body.constData());

        QElapsedTimer clock;
        clock.start();
        echo.signal(SIGTERM);
        QTRY_COMPARE_WITH_TIMEOUT(get(echo.healthPort, "/readyz"), 503, 20000);
        qInfo("readiness failed %lld ms after SIGTERM", clock.elapsed());
        QByteArray stopping;
        QTRY_VERIFY2_WITH_TIMEOUT(
            (stopping = exchange(echo.healthPort, "GET /readyz HTTP/1.1\r\n\r\n"))
                .contains("\"phase\":\"lame_duck\""),
            stopping.constData(), 20000);
        QVERIFY2(stopping.contains("\"ready\":false") &&
                     stopping.contains("\"state\":\"stopping\""),
                 stopping.constData());
        // The lame duck: still accepting and serving new connections.
        QVERIFY(echo.echoes("served by a lame duck"));
        QCOMPARE(get(echo.healthPort, "/livez"), 200);
        QCOMPARE(echo.waitForExit(20000), 0);
        QVERIFY(clock.elapsed() >= 3000);
        QVERIFY2(echo.stdErr().contains("lame duck: serving on for 3000 ms"),
                 echo.stdErr().constData());
    }

    void lameDuckCountsInsideTheDeadline()
    {
        ProbedEcho echo({QStringLiteral("--lame-duck"), QStringLiteral("60000"),
                         QStringLiteral("--shutdown-timeout"), QStringLiteral("1000")});
        QVERIFY(echo.port != 0);
        QElapsedTimer clock;
        clock.start();
        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0);
        QVERIFY2(clock.elapsed() < 15000, QByteArray::number(clock.elapsed()).constData());
        // Cut to what was left of the deadline, not the 60 s asked for.
        const int served =
            number(echo.stdErr(), QStringLiteral("lame duck: serving on for (\\d+) ms"));
        QVERIFY2(served > 0 && served <= 1000, echo.stdErr().constData());
    }

    void secondSignalEndsTheLameDuck()
    {
        ProbedEcho echo({QStringLiteral("--lame-duck"), QStringLiteral("600000"),
                         QStringLiteral("--shutdown-timeout"), QStringLiteral("900000")});
        QVERIFY(echo.port != 0);
        echo.signal(SIGTERM);
        QVERIFY(echo.waitForOutput("lame duck: serving on"));
        QVERIFY(echo.echoes("still served"));
        QTRY_VERIFY(echo.elapsedSinceOutput() > 200); // past the duplicate window
        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0); // drained, not killed
        const QByteArray err = echo.stdErr();
        QVERIFY2(err.contains("second SIGTERM during the lame duck: draining now"),
                 err.constData());
        QVERIFY2(err.contains("lame duck cut short"), err.constData());
    }

    void livenessFailsWhileTheMainThreadIsBlocked()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("CANSTOP_HELPER_HEALTH"), QStringLiteral("1"));
        // "busy" blocks its main thread once the shutdown is announced.
        ChildProcess helper(QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")),
                            {QStringLiteral("busy"), QStringLiteral("600000")}, environment);
        QVERIFY(helper.waitForOutput("ready"));
        const quint16 port = number(helper.stdOut(), QStringLiteral("health port (\\d+)"));
        QVERIFY(port != 0);
        QCOMPARE(get(port, "/livez"), 200);
        QCOMPARE(get(port, "/readyz"), 200);
        helper.signal(SIGINT);
        QTRY_COMPARE_WITH_TIMEOUT(get(port, "/livez"), 503, 20000); // bound: 300 ms
        QCOMPARE(get(port, "/readyz"), 503);
    }

    void workerAnswersReadiness()
    {
        ChildProcess worker(QString::fromLocal8Bit(qgetenv("CANSTOP_WORKER")),
                            {QStringLiteral("--health-port"), QStringLiteral("0")});
        const quint16 port = worker.waitForPort("health probe on");
        QVERIFY(port != 0);
        QTRY_COMPARE_WITH_TIMEOUT(get(port, "/readyz"), 200, 20000); // once its services run
        worker.signal(SIGINT);
        QTRY_COMPARE_WITH_TIMEOUT(get(port, "/readyz"), 503, 20000);
        const int exitCode = worker.waitForExit(30000);
        QVERIFY2(exitCode == 1, worker.stdErr().constData()); // its producer ignores stop()
    }

    void badRequestsGetClearAnswers_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("expected");
        QTest::newRow("readyz") << QByteArray("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n") << 200;
        QTest::newRow("HTTP/1.0") << QByteArray("GET /readyz HTTP/1.0\r\n\r\n") << 200;
        QTest::newRow("query") << QByteArray("GET /livez?verbose=1 HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("HEAD") << QByteArray("HEAD /readyz HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("metrics") << QByteArray("GET /metrics HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("metrics, HEAD") << QByteArray("HEAD /metrics HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("unknown path") << QByteArray("GET /status HTTP/1.1\r\n\r\n") << 404;
        QTest::newRow("POST") << QByteArray("POST /readyz HTTP/1.1\r\n\r\n") << 404;
        QTest::newRow("garbage") << QByteArray("GARBAGE\r\n\r\n") << 400;
        QTest::newRow("binary") << QByteArray("\x00\x01\xff\r\n\r\n", 7) << 400;
        QTest::newRow("HTTP/9") << QByteArray("GET /readyz HTTP/9.9\r\n\r\n") << 400;
        QTest::newRow("no slash") << QByteArray("GET readyz HTTP/1.1\r\n\r\n") << 400;
        // RFC 9112 §2.2 and §3.2.2: what a server should accept.
        QTest::newRow("bare LF") << QByteArray("GET /readyz HTTP/1.1\nHost: x\n\n") << 200;
        QTest::newRow("empty lines first")
            << QByteArray("\r\n\nGET /readyz HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("absolute form")
            << QByteArray("GET http://127.0.0.1:9/livez?x=1 HTTP/1.1\r\n\r\n") << 200;
        QTest::newRow("absolute form, no path")
            << QByteArray("GET HTTP://probe HTTP/1.1\r\n\r\n") << 404;
        QTest::newRow("other scheme")
            << QByteArray("GET ftp://probe/readyz HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("too large")
            << QByteArray("GET /readyz HTTP/1.1\r\nX: " + QByteArray(9000, 'a') + "\r\n\r\n")
            << 431;
    }

    void badRequestsGetClearAnswers()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, expected);
        ProbedEcho echo;
        QVERIFY(echo.healthPort != 0);
        const QByteArray answer = exchange(echo.healthPort, request);
        QCOMPARE(status(answer), expected);
        QVERIFY(answer.contains("\r\nConnection: close\r\n"));
        if (request.startsWith("HEAD"))
            QVERIFY(answer.endsWith("\r\n\r\n")); // no body
    }

    void hostilePeersCannotHoldTheProbe()
    {
        ProbedEcho echo;
        QVERIFY(echo.healthPort != 0);
        // Random bytes: every connection is answered or closed, none crashes it.
        QRandomGenerator random(29);
        for (int i = 0; i < 200; ++i) {
            QByteArray noise(int(random.bounded(1, 400)), Qt::Uninitialized);
            for (char &c : noise)
                c = char(random.bounded(256));
            exchange(echo.healthPort, noise + "\r\n\r\n", 10000);
        }
        QCOMPARE(get(echo.healthPort, "/readyz"), 200);

        // A request that never completes is answered 408 and closed, also
        // one that comes a byte at a time (slowloris): the time is counted
        // from the connection, not from its last byte.
        QCOMPARE(status(exchange(echo.healthPort, "GET /readyz HTTP/1.1\r\n")), 408);
        QTcpSocket trickling;
        trickling.connectToHost(QHostAddress::LocalHost, echo.healthPort);
        QVERIFY(trickling.waitForConnected(10000));
        trickling.write("GET /readyz HTTP/1.1\r\nX-Slow: ");
        QTimer trickle;
        connect(&trickle, &QTimer::timeout, &trickling, [&trickling] {
            if (trickling.state() == QAbstractSocket::ConnectedState)
                trickling.write("a");
        });
        trickle.start(200ms);
        QByteArray answer;
        connect(&trickling, &QIODevice::readyRead, &trickling,
                [&] { answer += trickling.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(answer.startsWith("HTTP/1.1 408 "), 20000);
        trickle.stop();

        // More slow connections than it holds (half a request each, never
        // finished): the oldest make room, and every probe is answered.
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < 80; ++i) {
            slow.push_back(std::make_unique<QTcpSocket>());
            slow.back()->connectToHost(QHostAddress::LocalHost, echo.healthPort);
            QVERIFY(slow.back()->waitForConnected(10000));
            slow.back()->write("GET /readyz HTTP/1.1\r\nHost: ");
            QVERIFY(slow.back()->waitForBytesWritten(10000));
        }
        for (int i = 0; i < 5; ++i)
            QCOMPARE(get(echo.healthPort, "/readyz"), 200);
        QTRY_VERIFY_WITH_TIMEOUT(slow.front()->state() == QAbstractSocket::UnconnectedState,
                                 20000); // closed to make room

        echo.signal(SIGTERM);
        QCOMPARE(echo.waitForExit(20000), 0);
    }
};

CANSTOP_TEST_MAIN(TestHealthProbe)
#include "tst_healthprobe.moc"
