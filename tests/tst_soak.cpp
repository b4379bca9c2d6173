// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The soak, short: canstop-soak-server (bench/soak/server.cpp: a raw echo,
// HTTP keep-alive, WebSocket and the health probe in one process) serves
// waves of clients, with session cycles and a reload each wave. After every
// wave its open descriptors and its live QObjects (each timer and socket
// notifier is one) are back exactly where they were after the warm-up, and
// its resident memory (after malloc_trim(), which gives back what glibc
// keeps free) within 10 % of it. bench/soak runs the same for 100,000
// connections.
#include "common/childprocess.h"
#include "common/testmain.h"
#include "common/waves.h"

#include <QRegularExpression>
#include <QTest>

#include <csignal>

namespace {

struct Report
{
    long fds = -1;
    long rssKiB = -1;
    long objects = -1;
    long sessions = -1;
};

class SoakServer : public ChildProcess
{
public:
    SoakServer() : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_SOAK_SERVER")), {}) {}

    quint16 port(const char *name)
    {
        const QRegularExpression pattern(QStringLiteral("%1=(\\d+)").arg(QLatin1String(name)));
        return quint16(pattern.match(QString::fromLatin1(stdOut())).captured(1).toUInt());
    }

    // Asks, and waits for the answer: the next line that begins with `word`.
    QByteArray ask(const QByteArray &command, const QByteArray &word)
    {
        const int before = int(stdOut().count(word));
        if (!write(command + '\n'))
            return {};
        const QDeadlineTimer bound(20000);
        while (stdOut().count(word) == before && !bound.hasExpired())
            waitForMoreOutput(100);
        const QByteArray out = stdOut();
        const qsizetype at = out.lastIndexOf(word);
        return at < 0 ? QByteArray() : out.mid(at, out.indexOf('\n', at) - at);
    }

    Report report()
    {
        const QByteArray line = ask("report", "report ");
        const auto field = [&line](const char *name) {
            const QRegularExpression pattern(
                QStringLiteral("%1=(-?\\d+)").arg(QLatin1String(name)));
            const auto match = pattern.match(QString::fromLatin1(line));
            return match.hasMatch() ? match.captured(1).toLong() : -2;
        };
        return {field("fds"), field("rss_kib"), field("objects"), field("sessions")};
    }
};

} // namespace

class TestSoak : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(!qgetenv("CANSTOP_SOAK_SERVER").isEmpty()); }

    void resourcesReturnToTheirBaseline()
    {
        SoakServer server;
        QVERIFY2(server.waitForOutput("ports "), server.stdErr().constData());
        const quint16 echo = server.port("echo"), http = server.port("http"),
                      webSocket = server.port("websocket"), probe = server.port("probe");
        QVERIFY(echo && http && webSocket && probe);

        constexpr int Echo = 300, Http = 100, WebSocket = 100, Probe = 50, Cycles = 1000;
        constexpr int WarmUp = 3, Waves = 3;
        const auto wave = [&] {
            QCOMPARE(waves::echo(echo, Echo), Echo);
            QCOMPARE(waves::http(http, Http), Http);
            QCOMPARE(waves::webSocket(webSocket, WebSocket), WebSocket);
            QCOMPARE(waves::probe(probe, Probe), Probe);
            QCOMPARE(server.ask("cycles " + QByteArray::number(Cycles), "cycled"), "cycled");
            server.signal(SIGHUP); // a reload
        };
        // Settled: no session open, and two reports alike in a row.
        const auto settled = [&](Report *out) {
            Report last = server.report();
            for (int i = 0; i < 200; ++i) {
                QTest::qWait(50);
                const Report next = server.report();
                if (next.sessions == 0 && next.fds == last.fds && next.objects == last.objects) {
                    // Resident memory without what malloc keeps free of
                    // the wave's peak: what the process holds.
                    if (server.ask("trim", "trimmed") != "trimmed")
                        return false;
                    *out = next;
                    out->rssKiB = server.report().rssKiB;
                    return true;
                }
                last = next;
            }
            return false;
        };

        // Warm-up: what is made once is made here, and the allocator's
        // heap takes the shape these waves give it.
        for (int i = 0; i < WarmUp; ++i)
            wave();
        Report baseline;
        QVERIFY2(settled(&baseline), server.stdErr().constData());
        QVERIFY2(baseline.objects > 0, "QtCore's hooks for tools are not there");
        for (int i = 1; i <= Waves; ++i) {
            wave();
            Report after;
            QVERIFY2(settled(&after), server.stdErr().constData());
            qInfo("wave %d: %ld descriptors (baseline %ld), %ld QObjects (%ld), %ld KiB (%ld)", i,
                  after.fds, baseline.fds, after.objects, baseline.objects, after.rssKiB,
                  baseline.rssKiB);
            QCOMPARE(after.fds, baseline.fds);
            QCOMPARE(after.objects, baseline.objects);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
            // A sanitizer keeps freed memory (ASan's quarantine) or shadows
            // it: there the count of descriptors and objects is the check.
            QVERIFY2(after.rssKiB <= baseline.rssKiB * 11 / 10, QByteArray::number(after.rssKiB));
#endif
        }
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(20000), 0);
    }
};

CANSTOP_TEST_MAIN(TestSoak)
#include "tst_soak.moc"
