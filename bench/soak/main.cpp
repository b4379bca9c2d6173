// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The soak: canstop-soak-server (a raw echo, HTTP keep-alive, WebSocket and
// the health probe in one process) serves `connections` connections in
// waves of 5,000 (3,000 echo, 1,000 HTTP with two requests each, 750
// WebSocket, 250 probe scrapes), with 1,000 holdSession() and 1,000
// trackSession() cycles and a reload (SIGHUP) each wave. After each wave,
// once it has settled: its open descriptors, live QObjects (every timer and
// socket notifier is one), resident memory as it is and after malloc_trim()
// (glibc keeps much of what a wave of thousands of connections freed), and
// the heap in use, against the baseline after a warm-up wave. Prints
// figures; asserts nothing.
//   canstop-bench-soak [connections]
#include "common/waves.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

constexpr int Echo = 3000, Http = 1000, WebSocket = 750, Probe = 250, Cycles = 1000;
constexpr int PerWave = Echo + Http + WebSocket + Probe;

struct Report
{
    long fds = -1, rssKiB = -1, heapKiB = -1, objects = -1, sessions = -1;
    bool operator==(const Report &o) const { return fds == o.fds && objects == o.objects; }
};

class Server
{
public:
    Server()
    {
        m_process.start(QStringLiteral(SOAK_SERVER), {});
        waitFor("ports ");
    }
    ~Server()
    {
        ::kill(pid_t(m_process.processId()), SIGTERM);
        m_process.waitForFinished(30000);
    }
    quint16 port(const char *name) const
    {
        return quint16(QRegularExpression(QStringLiteral("%1=(\\d+)").arg(QLatin1String(name)))
                           .match(QString::fromLatin1(m_out))
                           .captured(1)
                           .toUInt());
    }
    QByteArray ask(const QByteArray &command, const QByteArray &word)
    {
        m_process.write(command + '\n');
        return waitFor(word);
    }
    Report report()
    {
        const QString line = QString::fromLatin1(ask("report", "report "));
        const auto field = [&line](const char *name) {
            return QRegularExpression(QStringLiteral("%1=(-?\\d+)").arg(QLatin1String(name)))
                .match(line)
                .captured(1)
                .toLong();
        };
        return {field("fds"), field("rss_kib"), field("heap_kib"), field("qobjects"),
                field("sessions")};
    }
    // No session open, and two reports alike in a row.
    Report settled()
    {
        Report last = report();
        for (int i = 0; i < 400; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50)); // a benchmark may wait
            const Report next = report();
            if (next.sessions == 0 && next == last)
                return next;
            last = next;
        }
        return last;
    }
    void reload() { ::kill(pid_t(m_process.processId()), SIGHUP); }

private:
    // The next line beginning with `word`, once the server has written it.
    QByteArray waitFor(const QByteArray &word)
    {
        for (;;) {
            const qsizetype at = m_out.indexOf(word, m_read);
            if (at >= 0 && m_out.indexOf('\n', at) > at) {
                m_read = m_out.indexOf('\n', at) + 1;
                return m_out.mid(at, m_read - at - 1);
            }
            if (!m_process.waitForReadyRead(30000))
                return {};
            m_out += m_process.readAllStandardOutput();
        }
    }

    QProcess m_process;
    QByteArray m_out;
    qsizetype m_read = 0;
};

} // namespace

int main(int argc, char **argv)
{
    const long connections = argc > 1 ? std::atol(argv[1]) : 100000;
    const long rounds = std::max(1L, connections / PerWave);
    Server server;
    const quint16 echo = server.port("echo"), http = server.port("http"),
                  webSocket = server.port("websocket"), probe = server.port("probe");
    long failed = 0;
    const auto wave = [&] {
        failed += Echo - waves::echo(echo, Echo);
        failed += Http - waves::http(http, Http);
        failed += WebSocket - waves::webSocket(webSocket, WebSocket);
        failed += Probe - waves::probe(probe, Probe);
        server.ask("cycles " + QByteArray::number(Cycles), "cycled");
        server.reload();
    };
    wave(); // warm-up
    const Report baseline = server.settled();
    server.ask("trim", "trimmed");
    const long baselineTrimmed = server.report().rssKiB;
    std::printf("baseline after a warm-up wave: %ld descriptors, %ld QObjects, %ld KiB resident "
                "(%ld KiB after malloc_trim), %ld KiB of heap in use\n",
                baseline.fds, baseline.objects, baseline.rssKiB, baselineTrimmed, baseline.heapKiB);
    std::printf("| wave | connections | descriptors | QObjects | resident KiB | after malloc_trim "
                "| heap in use KiB | seconds |\n"
                "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    long maxRss = baseline.rssKiB, maxTrimmed = baselineTrimmed, maxHeap = baseline.heapKiB;
    long offBaseline = 0;
    QElapsedTimer clock;
    clock.start();
    for (long i = 1; i <= rounds; ++i) {
        QElapsedTimer waveClock;
        waveClock.start();
        wave();
        const Report after = server.settled();
        // What malloc keeps of the wave's peak, free, goes back to the system.
        server.ask("trim", "trimmed");
        const long trimmed = server.report().rssKiB;
        offBaseline += after == baseline ? 0 : 1;
        maxRss = std::max(maxRss, after.rssKiB);
        maxTrimmed = std::max(maxTrimmed, trimmed);
        maxHeap = std::max(maxHeap, after.heapKiB);
        std::printf("| %ld | %ld | %ld | %ld | %ld | %ld | %ld | %.1f |\n", i, i * PerWave,
                    after.fds, after.objects, after.rssKiB, trimmed, after.heapKiB,
                    double(waveClock.elapsed()) / 1000);
        std::fflush(stdout);
    }
    std::printf("%ld connections in %ld waves, %.0f s: %ld not served whole; %ld wave(s) left "
                "descriptors or QObjects off their baseline; resident at most %+.1f %% of the "
                "baseline, %+.1f %% after malloc_trim; heap in use at most %+.1f %%\n",
                rounds * PerWave, rounds, double(clock.elapsed()) / 1000, failed, offBaseline,
                100.0 * double(maxRss - baseline.rssKiB) / double(baseline.rssKiB),
                100.0 * double(maxTrimmed - baselineTrimmed) / double(baselineTrimmed),
                100.0 * double(maxHeap - baseline.heapKiB) / double(baseline.heapKiB));
    return 0;
}
