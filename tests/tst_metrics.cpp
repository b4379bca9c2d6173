// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// /metrics on the health probe, in whole programs (canstop-echo and the test
// helper), scraped and parsed by a real parser of each format: Debian's
// prometheus_client, through tests/metrics/scrape.py.
#include "common/childprocess.h"
#include "common/probedecho.h"
#include "common/testmain.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTest>

#include <cmath>
#include <csignal>
#include <memory>
#include <vector>

namespace {

// One scrape, as parsed.
struct Scrape
{
    bool ok = false;
    QString error;
    QString contentType;
    bool endsWithEof = false;
    QJsonArray samples;

    // The value of the sample `name` whose labels include `labels`; NaN if none.
    double value(const QString &name, const QVariantMap &labels = {}) const
    {
        for (const QJsonValue &sample : samples) {
            const QJsonObject object = sample.toObject();
            if (object.value(QStringLiteral("name")).toString() != name)
                continue;
            const QVariantMap has =
                object.value(QStringLiteral("labels")).toObject().toVariantMap();
            bool match = true;
            for (auto it = labels.cbegin(); it != labels.cend(); ++it)
                match = match && has.value(it.key()) == it.value();
            if (match)
                return object.value(QStringLiteral("value")).toDouble();
        }
        return std::nan("");
    }
};

Scrape scrape(quint16 port, bool openMetrics)
{
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral(CANSTOP_TESTS_DIR "/metrics/scrape.py"),
                  QStringLiteral("http://127.0.0.1:%1/metrics").arg(port),
                  openMetrics ? QStringLiteral("openmetrics") : QStringLiteral("prometheus")});
    Scrape result;
    if (!python.waitForFinished(30000) || python.exitStatus() != QProcess::NormalExit ||
        python.exitCode() != 0) {
        result.error = QString::fromLocal8Bit(python.readAllStandardError());
        return result;
    }
    const QJsonObject json = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    result.ok = true;
    result.contentType = json.value(QStringLiteral("contentType")).toString();
    result.endsWithEof = json.value(QStringLiteral("endsWithEof")).toBool();
    result.samples = json.value(QStringLiteral("samples")).toArray();
    return result;
}

QVariantMap label(const char *name, const QString &value)
{
    return {{QString::fromLatin1(name), value}};
}

QVariantMap state(const char *name)
{
    return label("state", QString::fromLatin1(name));
}

// The test helper in `mode` with its probe, staying after its shutdown.
class Helper : public ChildProcess
{
public:
    explicit Helper(const QString &mode, const QString &timeoutMs = QStringLiteral("30000"))
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")), {mode, timeoutMs},
                       environment())
    {
        if (waitForOutput("health port"))
            healthPort = quint16(QString::fromLatin1(stdOut())
                                     .section(QStringLiteral("health port "), 1)
                                     .section(QLatin1Char('\n'), 0, 0)
                                     .toUShort());
    }

    quint16 healthPort = 0;

private:
    static QProcessEnvironment environment()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("CANSTOP_HELPER_HEALTH"), QStringLiteral("1"));
        environment.insert(QStringLiteral("CANSTOP_HELPER_STAY"), QStringLiteral("1"));
        return environment;
    }
};

// Milliseconds from SIGTERM to the exit of an idle canstop-echo; with
// `openScrape`, while a scrape connection is open with half a request.
qint64 exitAfterSigterm(bool openScrape)
{
    ProbedEcho echo;
    if (echo.healthPort == 0)
        return -1;
    QTcpSocket scrape;
    if (openScrape) {
        scrape.connectToHost(QHostAddress::LocalHost, echo.healthPort);
        if (!scrape.waitForConnected(10000))
            return -1;
        scrape.write("GET /metrics HTTP/1.1\r\nHost: probe\r\nConnection: keep-alive\r\n");
        if (!scrape.waitForBytesWritten(10000))
            return -1;
    }
    QElapsedTimer clock;
    clock.start();
    echo.signal(SIGTERM);
    if (echo.waitForExit(30000) != 0)
        return -1;
    return clock.elapsed();
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_ECHO").isEmpty());
        QVERIFY(!qgetenv("CANSTOP_TEST_HELPER").isEmpty());
    }

    void format_data()
    {
        QTest::addColumn<bool>("openMetrics");
        QTest::newRow("prometheus text 0.0.4") << false;
        QTest::newRow("openmetrics 1.0.0") << true;
    }

    // Five idle clients are five sessions, before the drain and during its
    // lame duck; the probe's own connections are none.
    void sessionsBeforeAndDuringADrain_data() { format_data(); }
    void sessionsBeforeAndDuringADrain()
    {
        QFETCH(bool, openMetrics);
        ProbedEcho echo({QStringLiteral("--lame-duck"), QStringLiteral("60000"),
                         QStringLiteral("--shutdown-timeout"), QStringLiteral("90000")});
        QVERIFY(echo.healthPort != 0);
        std::vector<std::unique_ptr<QTcpSocket>> clients;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(std::make_unique<QTcpSocket>());
            clients.back()->connectToHost(QHostAddress::LocalHost, echo.port);
            QVERIFY(clients.back()->waitForConnected(10000));
        }
        Scrape before;
        QTRY_VERIFY_WITH_TIMEOUT(
            (before = scrape(echo.healthPort, openMetrics)).value("canstop_sessions_active") == 5,
            20000);
        QVERIFY2(before.ok, qPrintable(before.error));
        QCOMPARE(before.contentType.startsWith(openMetrics ? "application/openmetrics-text"
                                                           : "text/plain; version=0.0.4"),
                 true);
        QCOMPARE(before.endsWithEof, openMetrics);
        QCOMPARE(before.value("canstop_sessions_total"), 5.0);
        QCOMPARE(before.value("canstop_sessions_refused_total"), 0.0);
        QCOMPARE(before.value("canstop_ready"), 1.0);
        QCOMPARE(before.value("canstop_shutting_down"), 0.0);
        QCOMPARE(before.value("canstop_state", state("running")), 1.0);
        QCOMPARE(before.value("canstop_state", state("stopping")), 0.0);
        QVERIFY(std::isnan(before.value("canstop_shutdown_remaining_seconds")));
        QVERIFY(std::isnan(before.value("canstop_shutdown_phase")));
        QVERIFY(std::isnan(before.value("canstop_shutdown_phase_seconds")));
        QCOMPARE(before.value("canstop_build_info"), 1.0);
        const QVariantMap server = label("server", QStringLiteral("127.0.0.1:%1").arg(echo.port));
        QCOMPARE(before.value("canstop_server_connections_accepted_total", server), 5.0);
        QCOMPARE(before.value("canstop_server_connections_open", server), 5.0);
        QCOMPARE(before.value("canstop_server_draining", server), 0.0);
        const double started = before.value("canstop_start_time_seconds");
        const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000;
        QVERIFY2(started > now - 120 && started <= now, qPrintable(QString::number(started)));

        echo.signal(SIGTERM);
        Scrape during;
        QTRY_VERIFY_WITH_TIMEOUT((during = scrape(echo.healthPort, openMetrics))
                                         .value("canstop_state", state("stopping")) == 1,
                                 20000);
        QCOMPARE(during.value("canstop_ready"), 0.0);
        QCOMPARE(during.value("canstop_shutting_down"), 1.0);
        QCOMPARE(
            during.value("canstop_shutdown_phase", label("phase", QStringLiteral("lame_duck"))),
            1.0);
        QCOMPARE(during.value("canstop_shutdown_phase", label("phase", QStringLiteral("sessions"))),
                 0.0);
        QCOMPARE(during.value("canstop_sessions_active"), 5.0);
        const double remaining = during.value("canstop_shutdown_remaining_seconds");
        QVERIFY2(remaining > 60 && remaining <= 90, qPrintable(QString::number(remaining)));
        QCOMPARE(during.value("canstop_start_time_seconds"), started);
        QCOMPARE(during.value("canstop_server_connections_open", server), 5.0);
        QCOMPARE(during.value("canstop_server_draining", server), 0.0); // the lame duck serves on
    }

    // Accept chooses the format, whatever its case and however many there are.
    void acceptChoosesTheFormat_data()
    {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<bool>("openMetrics");
        QTest::newRow("none") << QByteArray() << false;
        QTest::newRow("text") << QByteArray("Accept: text/plain;version=0.0.4\r\n") << false;
        QTest::newRow("openmetrics")
            << QByteArray("Accept: application/openmetrics-text;version=1.0.0\r\n") << true;
        QTest::newRow("in capitals")
            << QByteArray("ACCEPT: Application/OpenMetrics-Text\r\n") << true;
        QTest::newRow("the second of two")
            << QByteArray("Accept: text/plain\r\naccept:application/openmetrics-text\r\n") << true;
        QTest::newRow("another field")
            << QByteArray("X-Accept: application/openmetrics-text\r\n") << false;
    }

    void acceptChoosesTheFormat()
    {
        QFETCH(QByteArray, headers);
        QFETCH(bool, openMetrics);
        ProbedEcho echo;
        QVERIFY(echo.healthPort != 0);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, echo.healthPort);
        QVERIFY(socket.waitForConnected(10000));
        socket.write("GET /metrics HTTP/1.1\r\nHost: probe\r\n" + headers + "\r\n");
        QByteArray answer;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
            answer += socket.readAll();
        answer += socket.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.constData());
        QCOMPARE(answer.contains("\r\nContent-Type: application/openmetrics-text; version=1.0.0"),
                 openMetrics);
        QCOMPARE(answer.contains("\r\nContent-Type: text/plain; version=0.0.4"), !openMetrics);
        QCOMPARE(answer.endsWith("\n# EOF\n"), openMetrics);
    }

    // After a shutdown (the process stays: autoExit off), its phases and
    // what it drained and abandoned.
    void theLastShutdownAfterwards_data() { format_data(); }
    void theLastShutdownAfterwards()
    {
        QFETCH(bool, openMetrics);
        // Three sessions: two end during the drain, one is abandoned at 2 s.
        Helper helper(QStringLiteral("trickle"), QStringLiteral("2000"));
        QVERIFY(helper.healthPort != 0);
        QVERIFY(helper.waitForOutput("ready"));
        QCOMPARE(scrape(helper.healthPort, openMetrics).value("canstop_sessions_active"), 3.0);
        helper.signal(SIGTERM);
        QVERIFY(helper.waitForOutput("finished 1"));
        const Scrape after = scrape(helper.healthPort, openMetrics);
        QVERIFY2(after.ok, qPrintable(after.error));
        QCOMPARE(after.value("canstop_state", state("stopped")), 1.0);
        QCOMPARE(after.value("canstop_sessions_active"), 1.0);
        QCOMPARE(after.value("canstop_sessions_total"), 3.0);
        QCOMPARE(
            after.value("canstop_shutdown_sessions", label("outcome", QStringLiteral("drained"))),
            2.0);
        QCOMPARE(
            after.value("canstop_shutdown_sessions", label("outcome", QStringLiteral("abandoned"))),
            1.0);
        const double drain = after.value("canstop_shutdown_phase_seconds",
                                         label("phase", QStringLiteral("sessions")));
        QVERIFY2(drain >= 1.5 && drain < 10, qPrintable(QString::number(drain)));
        for (const char *phase : {"announce", "services", "late_services", "lame_duck"})
            QVERIFY2(after.value("canstop_shutdown_phase_seconds",
                                 label("phase", QString::fromLatin1(phase))) >= 0,
                     phase);
        QVERIFY(std::isnan(after.value("canstop_shutdown_remaining_seconds")));
        QVERIFY(std::isnan(after.value("canstop_shutdown_phase")));
    }

    // A service that failed twice has two restarts; its name, with quotes,
    // a backslash and a newline, still makes output the parser takes.
    void restartsOfAServiceWithAHostileName_data() { format_data(); }
    void restartsOfAServiceWithAHostileName()
    {
        QFETCH(bool, openMetrics);
        Helper helper(QStringLiteral("flaky"));
        QVERIFY(helper.healthPort != 0);
        const QVariantMap flaky = label("service", QStringLiteral("flaky \"one\" \\ two\nthree"));
        Scrape metrics;
        QTRY_VERIFY_WITH_TIMEOUT((metrics = scrape(helper.healthPort, openMetrics))
                                         .value("canstop_service_restarts_total", flaky) == 2,
                                 20000);
        QCOMPARE(metrics.value("canstop_service_failures_total", flaky), 2.0);
        QCOMPARE(metrics.value("canstop_services_running"), 1.0);
    }

    // The probe's connections are not sessions: one left open with half a
    // request (which the probe would wait 5 s for) does not delay the exit.
    void anOpenScrapeDoesNotHoldTheExit()
    {
        const qint64 without = exitAfterSigterm(false);
        const qint64 with = exitAfterSigterm(true);
        qInfo("exit after SIGTERM: %lld ms without a scrape connection, %lld ms with one", without,
              with);
        QVERIFY(without >= 0);
        QVERIFY(with >= 0);
        // Generous: the failure this catches is the probe's 5 s wait.
        QVERIFY2(with < without + 2000, qPrintable(QString::number(with)));
    }
};

CANSTOP_TEST_MAIN(TestMetrics)
#include "tst_metrics.moc"
