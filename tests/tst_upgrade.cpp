// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Zero-downtime upgrades of whole programs: canstop-echo and canstop-http
// upgraded on SIGUSR2 again and again under load, upgrades that fail in
// every way, and what the new instance inherits. This test is the
// instances' subreaper: each new instance is the old one's child, and is
// reparented here when the old one exits, so every exit status is seen.
#include "common/loopback.h"
#include "common/notifyreceiver.h"
#include "common/requestload.h"
#include "common/testmain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

#ifdef CANSTOP_SANITIZED
// Under a sanitizer every start is several times slower: the same paths, fewer times.
constexpr int Upgrades = 5;
#else
constexpr int Upgrades = 20;
#endif
constexpr int LocalUpgrades = 5; // the same path as canstop-echo's but for the socket's file
constexpr int WaitMs = 20000;    // generous: sanitizers slow every start

qint64 readPid(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readAll().trimmed().toLongLong();
}

// Alive and not a zombie.
bool isRunning(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype afterName = text.lastIndexOf(')');
    return afterName > 0 && text.mid(afterName + 2, 1) != "Z";
}

// The exit code of `pid`, a child of this process or one reparented here;
// -1 if it did not exit normally within `timeoutMs`.
int waitForExit(qint64 pid, int timeoutMs = WaitMs)
{
    int status = 0;
    const QDeadlineTimer deadline(timeoutMs);
    while (::waitpid(pid_t(pid), &status, WNOHANG) == 0) {
        if (deadline.hasExpired())
            return -1;
        QTest::qWait(10);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Samples the PID file from a thread of its own for as long as it lives:
// once it exists, it must always name a running instance.
class PidFileWatch
{
public:
    explicit PidFileWatch(QString path)
        : m_path(std::move(path)), m_thread([this] {
              while (!m_stop) {
                  const qint64 pid = readPid(m_path);
                  if (pid != 0 || m_seen) {
                      m_seen = true;
                      ++samples;
                      if (!isRunning(pid) && bad++ == 0)
                          firstBad = pid;
                  }
                  std::this_thread::sleep_for(std::chrono::milliseconds(2));
              }
          })
    {}
    ~PidFileWatch() { stop(); }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }

    std::atomic<int> samples{0};
    std::atomic<int> bad{0};
    std::atomic<qint64> firstBad{0};

private:
    const QString m_path;
    std::atomic<bool> m_stop{false};
    bool m_seen = false; // the thread's own
    std::thread m_thread;
};

// The first instance of a program, its output with every later instance's
// in one log file (descendants inherit it; a pipe would close with the
// first).
class FirstInstance
{
public:
    FirstInstance(const QString &program, const QStringList &arguments, const QString &log)
        : m_log(log)
    {
        m_process.setStandardOutputFile(log, QIODevice::Append);
        m_process.setStandardErrorFile(log, QIODevice::Append);
        m_process.start(program, arguments);
    }
    ~FirstInstance()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }
    qint64 pid() const { return m_process.processId(); }
    int waitForExit()
    {
        // waitForFinished() is false for a process that has already finished.
        if ((m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(WaitMs)) ||
            m_process.exitStatus() != QProcess::NormalExit)
            return -1;
        return m_process.exitCode();
    }
    QByteArray log() const
    {
        QFile file(m_log);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }
    // How often `text` is in the log, once it is there at least `times`.
    bool waitForLog(const QByteArray &text, int times = 1)
    {
        const QDeadlineTimer deadline(WaitMs);
        while (log().count(text) < times) {
            if (deadline.hasExpired())
                return false;
            QTest::qWait(10);
        }
        return true;
    }
    quint16 port(const QByteArray &label = "listening on 127.0.0.1:")
    {
        if (!waitForLog(label))
            return 0;
        const QByteArray text = log();
        const qsizetype at = text.indexOf(label) + label.size();
        return quint16(text.mid(at, text.indexOf('\n', at) - at).toUShort());
    }

private:
    QProcess m_process;
    const QString m_log;
};

// Kills whatever instance is left, should a check fail midway.
struct Survivor
{
    qint64 pid = 0;
    ~Survivor()
    {
        if (pid > 0 && ::kill(pid_t(pid), SIGKILL) == 0)
            waitForExit(pid);
    }
};

QString program(const char *variable)
{
    return QString::fromLocal8Bit(qgetenv(variable));
}

// A port free now, for a program that needs a fixed one (its probe).
quint16 freePort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost) ? server.serverPort() : 0;
}

} // namespace

class TestUpgrade : public QObject
{
    Q_OBJECT

private:
    // `count` upgrades on SIGUSR2, each once the load has been served a
    // while (short and long-lived clients): each old instance exits 0 once
    // the PID file names the new one, `current`.
    static void upgradeRepeatedly(FirstInstance &first, Survivor &current, RequestLoad &load,
                                  const QString &pidFile, int count)
    {
        for (int i = 0; i < count; ++i) {
            const int served = load.echoed;
            const int servedLongLived = load.longLivedEchoed;
            QTRY_VERIFY_WITH_TIMEOUT(
                load.echoed >= served + 10 && load.longLivedEchoed > servedLongLived, WaitMs);
            const qint64 old = current.pid;
            QCOMPARE(::kill(pid_t(old), SIGUSR2), 0);
            QTRY_VERIFY_WITH_TIMEOUT(readPid(pidFile) != old, WaitMs);
            current.pid = readPid(pidFile);
            QCOMPARE(i == 0 ? first.waitForExit() : waitForExit(old), 0);
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!program("CANSTOP_ECHO").isEmpty());
        QVERIFY(!program("CANSTOP_LOCAL_ECHO").isEmpty());
        QVERIFY(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    }

    // 20 upgrades of canstop-echo, each while short and long-lived clients
    // are served: not one connection refused or reset, not one byte lost,
    // every old instance exits 0, and the PID file always names a running
    // instance. The health probe's socket goes along.
    void echoUpgradesUnderLoad()
    {
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("echo.pid"));
        const quint16 healthPort = freePort();
        FirstInstance first(program("CANSTOP_ECHO"),
                            {QStringLiteral("--port"), QStringLiteral("0"),
                             QStringLiteral("--health-port"), QString::number(healthPort),
                             QStringLiteral("--pid-file"), pidFile,
                             QStringLiteral("--shutdown-timeout"), QStringLiteral("10000")},
                            dir.filePath(QStringLiteral("echo.log")));
        const quint16 port = first.port();
        QVERIFY2(port != 0, first.log().constData());
        PidFileWatch watch(pidFile);
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), first.pid(), WaitMs);
        RequestLoad load(port, 3, 4);
        Survivor current{first.pid()};
        upgradeRepeatedly(first, current, load, pidFile, Upgrades);
        if (QTest::currentTestFailed())
            return;
        const int served = load.echoed;
        QTRY_VERIFY_WITH_TIMEOUT(load.echoed >= served + 10, WaitMs);
        // The probe's socket came along: the last instance answers on it.
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, healthPort);
        QVERIFY(probe.waitForConnected(WaitMs));
        probe.write("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray answer;
        while (!answer.contains("\"ready\":true") && probe.waitForReadyRead(WaitMs))
            answer += probe.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        load.stop();
        watch.stop(); // the last instance's exit removes the file
        QCOMPARE(::kill(pid_t(current.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(current.pid, 0)), 0);

        const QByteArray log = first.log();
        qInfo("%d requests echoed through %d upgrades (%d on long-lived connections, %d of those "
              "closed between requests); the PID file sampled %d times",
              int(load.echoed), Upgrades, int(load.longLivedEchoed), int(load.reconnected),
              int(watch.samples));
        QCOMPARE(int(load.refused), 0);
        QCOMPARE(int(load.reset), 0);
        QCOMPARE(int(load.lost), 0);
        QVERIFY2(watch.bad == 0, qPrintable(QStringLiteral("%1 sample(s) named no running "
                                                           "instance, first %2")
                                                .arg(int(watch.bad))
                                                .arg(qint64(watch.firstBad))));
        QVERIFY(watch.samples > 0);
        QCOMPARE(log.count("the new instance serves the kernel's queue"), Upgrades);
        QCOMPARE(log.count("upgrade failed"), 0);
        QVERIFY(!QFile::exists(pidFile)); // the last instance removed its own
    }

    // canstop-local-echo upgraded under load at its socket's path: each new
    // instance puts a socket of its own at the path in one step, the old
    // one serves what it had queued, and no client finds no server.
    void localEchoUpgradesUnderLoad()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.socket"));
        const QString pidFile = dir.filePath(QStringLiteral("local.pid"));
        FirstInstance first(program("CANSTOP_LOCAL_ECHO"),
                            {QStringLiteral("--pid-file"), pidFile, path},
                            dir.filePath(QStringLiteral("local.log")));
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), first.pid(), WaitMs);
        RequestLoad load(QFile::encodeName(path), 3, 4);
        Survivor current{first.pid()};
        upgradeRepeatedly(first, current, load, pidFile, LocalUpgrades);
        if (QTest::currentTestFailed())
            return;
        const int served = load.echoed;
        QTRY_VERIFY_WITH_TIMEOUT(load.echoed >= served + 10, WaitMs);
        load.stop();
        QCOMPARE(::kill(pid_t(current.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(current.pid, 0)), 0);

        const QByteArray log = first.log();
        qInfo("%d requests echoed through %d upgrades (%d on long-lived connections)",
              int(load.echoed), LocalUpgrades, int(load.longLivedEchoed));
        QCOMPARE(int(load.refused), 0);
        QCOMPARE(int(load.reset), 0);
        QCOMPARE(int(load.lost), 0);
        QCOMPARE(log.count("its file now names this instance's socket"), LocalUpgrades);
        QCOMPARE(log.count("the new instance's socket answers at its file"), LocalUpgrades);
        QVERIFY2(!QFile::exists(path), log.constData()); // the last instance removed its own
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{QStringLiteral("local.log")});
    }

    // Socket-activated (systemd-socket-activate passes the socket), the
    // local echo hands that socket itself to each new instance, whose
    // listenInherited() takes it: the service manager's socket stays the
    // one at the path, its file kept.
    void aPassedLocalSocketGoesAlong()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.socket"));
        const QString pidFile = dir.filePath(QStringLiteral("local.pid"));
        FirstInstance first(QStringLiteral("systemd-socket-activate"),
                            {QStringLiteral("-l"), path, QStringLiteral("--fdname=local-echo"),
                             program("CANSTOP_LOCAL_ECHO"), QStringLiteral("--pid-file"), pidFile,
                             dir.filePath(QStringLiteral("unused"))},
                            dir.filePath(QStringLiteral("local.log")));
        QVERIFY2(first.waitForLog("Listening on"), first.log().constData());
        RequestLoad load(QFile::encodeName(path), 2, 2); // the first connection starts it
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), first.pid(), WaitMs); // exec'd: the same pid
        Survivor current{first.pid()};
        upgradeRepeatedly(first, current, load, pidFile, 3);
        if (QTest::currentTestFailed())
            return;
        load.stop();
        QCOMPARE(::kill(pid_t(current.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(current.pid, 0)), 0);

        const QByteArray log = first.log();
        QCOMPARE(int(load.refused), 0);
        QCOMPARE(int(load.reset), 0);
        QCOMPARE(int(load.lost), 0);
        QCOMPARE(log.count("the new instance serves the kernel's queue"), 3);
        QCOMPARE(log.count("its file now names"), 0);
        QCOMPARE(log.count("listening on " + QFile::encodeName(path)), 4);
        QVERIFY(QFileInfo::exists(path)); // the service manager's
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("unused"))));
    }

    // 20 upgrades of canstop-http under keep-alive clients of Python's
    // http.client: every response complete, none refused or reset; a busy
    // connection's last response on an old instance says Connection: close.
    void httpUpgradesUnderKeepAlive()
    {
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("http.pid"));
        FirstInstance first(program("CANSTOP_HTTP"),
                            {QStringLiteral("--port"), QStringLiteral("0"),
                             QStringLiteral("--pid-file"), pidFile,
                             QStringLiteral("--shutdown-timeout"), QStringLiteral("10000")},
                            dir.filePath(QStringLiteral("http.log")));
        const quint16 port = first.port();
        QVERIFY2(port != 0, first.log().constData());
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), first.pid(), WaitMs);
        const int busy = 4;
        QProcess clients;
        clients.start(QStringLiteral("/usr/bin/python3"),
                      {QStringLiteral(CANSTOP_TESTS_DIR "/http/upgrade_clients.py"),
                       QString::number(port), QString::number(busy), QStringLiteral("4"),
                       QStringLiteral("2")});
        // It prints "responses N" as they come, by tens.
        QByteArray output;
        const auto responses = [&clients, &output] {
            output += clients.readAllStandardOutput();
            const qsizetype at = output.lastIndexOf("responses ");
            return at < 0 ? 0 : output.mid(at + 10, output.indexOf('\n', at) - at - 10).toInt();
        };
        Survivor current{first.pid()};
        for (int i = 0; i < Upgrades; ++i) {
            const int served = responses();
            QTRY_VERIFY_WITH_TIMEOUT(responses() >= served + 20, WaitMs);
            const qint64 old = current.pid;
            QCOMPARE(::kill(pid_t(old), SIGUSR2), 0);
            QTRY_VERIFY_WITH_TIMEOUT(readPid(pidFile) != old, WaitMs);
            current.pid = readPid(pidFile);
            QCOMPARE(i == 0 ? first.waitForExit() : waitForExit(old), 0);
        }
        clients.closeWriteChannel();
        QVERIFY(clients.waitForFinished(WaitMs * 2));
        output += clients.readAllStandardOutput();
        QCOMPARE(::kill(pid_t(current.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(current.pid, 0)), 0);

        const QJsonObject seen = QJsonDocument::fromJson(output.mid(output.indexOf('{'))).object();
        const QByteArray report = output + clients.readAllStandardError();
        qInfo("%s", output.mid(output.indexOf('{')).trimmed().constData());
        QVERIFY2(!seen.isEmpty(), report.constData());
        QCOMPARE(seen.value(QStringLiteral("refused")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("reset")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("partial")).toInt(), 0);
        QVERIFY2(seen.value(QStringLiteral("other")).toArray().isEmpty(), report.constData());
        // Each old instance closed every busy connection after a response
        // that said so, never between two requests.
        QCOMPARE(seen.value(QStringLiteral("busy_closed_while_idle")).toInt(), 0);
        QVERIFY2(seen.value(QStringLiteral("said_close")).toInt() >= Upgrades * busy,
                 report.constData());
        QVERIFY(seen.value(QStringLiteral("responses")).toInt() > Upgrades * 10);
    }

    // The program's file replaced by one that exits at once, one that
    // never becomes ready (and an upgrade asked for meanwhile), one that
    // crashes once it has accepted a connection, then removed: each upgrade
    // fails with its reason in one line, and the old instance serves on,
    // ready all along, refusing no one. Then a good file upgrades.
    void failedUpgradesChangeNothing()
    {
        QTemporaryDir dir;
        const QString app = dir.filePath(QStringLiteral("app"));
        QVERIFY(QFile::copy(program("CANSTOP_ECHO"), app));
        const quint16 healthPort = freePort();
        const QString pidFile = dir.filePath(QStringLiteral("app.pid"));
        FirstInstance first(app,
                            {QStringLiteral("--port"), QStringLiteral("0"),
                             QStringLiteral("--health-port"), QString::number(healthPort),
                             QStringLiteral("--pid-file"), pidFile,
                             QStringLiteral("--upgrade-timeout"), QStringLiteral("1500")},
                            dir.filePath(QStringLiteral("app.log")));
        const quint16 port = first.port();
        QVERIFY2(port != 0, first.log().constData());
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), first.pid(), WaitMs);
        RequestLoad load(port, 2, 2);
        // Replaced as a deployment replaces it: a new file renamed over it.
        const auto replace = [&dir, &app](const QByteArray &script) {
            const QString next = dir.filePath(QStringLiteral("app.next"));
            QFile file(next);
            if (!file.open(QIODevice::WriteOnly) || file.write(script) != script.size())
                return false;
            file.close();
            return file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner) &&
                   ::rename(QFile::encodeName(next).constData(),
                            QFile::encodeName(app).constData()) == 0;
        };
        const auto isReady = [healthPort] {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, healthPort);
            if (!probe.waitForConnected(WaitMs))
                return false;
            probe.write("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
            QByteArray answer;
            while (probe.waitForReadyRead(WaitMs))
                answer += probe.readAll();
            return answer.startsWith("HTTP/1.1 200");
        };
        int failures = 0;
        const auto failsWith = [&](const QByteArray &why) {
            const int served = load.echoed;
            if (::kill(pid_t(first.pid()), SIGUSR2) != 0 ||
                !first.waitForLog("upgrade failed: " + why + "; serving on\n")) {
                qWarning("%s", first.log().constData());
                return false;
            }
            ++failures;
            const QDeadlineTimer deadline(WaitMs);
            while (load.echoed < served + 10 && !deadline.hasExpired())
                QTest::qWait(10);
            return load.echoed >= served + 10 && first.log().count("upgrade failed") == failures &&
                   isReady() && readPid(pidFile) == first.pid();
        };

        QVERIFY(replace("#!/bin/sh\nexit 3\n"));
        QVERIFY(failsWith("it exited with code 3 before it was ready"));

        QVERIFY(replace("#!/bin/sh\nexec sleep 600\n"));
        QCOMPARE(::kill(pid_t(first.pid()), SIGUSR2), 0);
        QVERIFY(first.waitForLog("upgrade: started", 2));
        QCOMPARE(::kill(pid_t(first.pid()), SIGUSR2), 0); // during the upgrade
        QVERIFY2(first.waitForLog("upgrade refused: an upgrade is already under way (pid "),
                 first.log().constData());
        QVERIFY(first.waitForLog("upgrade failed: not ready after 1.5 s; serving on\n"));
        ++failures;

        // The listener is shared, and stays non-blocking: the old instance
        // may take a connection first.
        QVERIFY(replace("#!/usr/bin/python3\n"
                        "import os, select, signal, socket\n"
                        "listener = socket.socket(fileno=3)\n"
                        "while True:\n"
                        "    select.select([listener], [], [])\n"
                        "    try:\n"
                        "        listener.accept()\n"
                        "        break\n"
                        "    except BlockingIOError:\n"
                        "        pass\n"
                        "os.kill(os.getpid(), signal.SIGSEGV)\n"));
        const int resetBefore = load.reset + load.lost;
        QVERIFY(failsWith("it was killed by signal 11 (Segmentation fault) before it was ready"));
        // The one client the crash took, at most.
        QVERIFY(load.reset + load.lost - resetBefore <= 1);
        const int resetAfter = load.reset + load.lost;

        QVERIFY(QFile::remove(app));
        QVERIFY(failsWith("cannot run the program: No such file or directory"));

        // A good file again: this upgrade succeeds.
        QVERIFY(QFile::copy(program("CANSTOP_ECHO"), app));
        QCOMPARE(::kill(pid_t(first.pid()), SIGUSR2), 0);
        QTRY_VERIFY_WITH_TIMEOUT(readPid(pidFile) != first.pid(), WaitMs);
        Survivor next{readPid(pidFile)};
        QCOMPARE(first.waitForExit(), 0);
        const int served = load.echoed;
        QTRY_VERIFY_WITH_TIMEOUT(load.echoed >= served + 10, WaitMs);
        load.stop();
        QCOMPARE(::kill(pid_t(next.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(next.pid, 0)), 0);

        QCOMPARE(int(load.refused), 0);
        QCOMPARE(int(load.reset + load.lost), resetAfter);
        QCOMPARE(first.log().count("upgrade failed"), failures);
    }

    // In a PID namespace of its own canstop-echo is PID 1, as a container's
    // init is, whose exit would end the container: SIGUSR2 is refused with
    // advice, and it serves on.
    void asPidOneAnUpgradeIsRefused()
    {
        const QStringList namespaces{QStringLiteral("--user"), QStringLiteral("--map-root-user"),
                                     QStringLiteral("--pid"), QStringLiteral("--fork"),
                                     QStringLiteral("--kill-child")};
        QProcess probe; // a machine whose kernel or sandbox forbids user namespaces
        probe.start(QStringLiteral("unshare"), namespaces + QStringList{QStringLiteral("true")});
        if (!probe.waitForFinished(WaitMs) || probe.exitCode() != 0)
            QSKIP(qPrintable(QStringLiteral("unshare cannot make a PID namespace here: ") +
                             QString::fromLocal8Bit(probe.readAllStandardError())));
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("echo.pid"));
        FirstInstance init(QStringLiteral("unshare"),
                           namespaces + QStringList{program("CANSTOP_ECHO"),
                                                    QStringLiteral("--port"), QStringLiteral("0"),
                                                    QStringLiteral("--pid-file"), pidFile},
                           dir.filePath(QStringLiteral("echo.log")));
        const quint16 port = init.port();
        QVERIFY2(port != 0, init.log().constData());
        QTRY_COMPARE_WITH_TIMEOUT(readPid(pidFile), qint64(1), WaitMs); // its own pid, in there
        // Its pid out here: unshare's one child.
        QFile children(QStringLiteral("/proc/%1/task/%1/children").arg(init.pid()));
        QVERIFY(children.open(QIODevice::ReadOnly));
        const qint64 echo = children.readAll().trimmed().toLongLong();
        QVERIFY(echo > 1);
        QCOMPARE(::kill(pid_t(echo), SIGUSR2), 0);
        QVERIFY2(init.waitForLog("upgrade refused: this process is PID 1 (a container's init), "
                                 "whose exit ends the container; run it under a small init such "
                                 "as tini"),
                 init.log().constData());
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(client.waitForConnected(WaitMs));
        client.write("still here");
        QByteArray echoed;
        while (echoed.size() < 10 && client.waitForReadyRead(WaitMs))
            echoed += client.readAll();
        QCOMPARE(echoed, QByteArray("still here"));
        QCOMPARE(::kill(pid_t(echo), SIGTERM), 0);
        QCOMPARE(init.waitForExit(), 0);
        QCOMPARE(init.log().count("upgrade failed"), 0);
    }

    // SIGTERM while the new instance is not ready yet: the shutdown is the
    // operator's word, so the new instance is killed and the old one drains.
    void aShutdownDuringAnUpgradeEndsTheNewInstance()
    {
        QTemporaryDir dir;
        const QString app = dir.filePath(QStringLiteral("app"));
        QVERIFY(QFile::copy(program("CANSTOP_ECHO"), app));
        FirstInstance first(app, {QStringLiteral("--port"), QStringLiteral("0")},
                            dir.filePath(QStringLiteral("app.log")));
        QVERIFY2(first.port() != 0, first.log().constData());
        QVERIFY(QFile::remove(app));
        QFile never(app);
        QVERIFY(never.open(QIODevice::WriteOnly));
        never.write("#!/bin/sh\nexec sleep 600\n");
        never.close();
        QVERIFY(never.setPermissions(QFile::ReadOwner | QFile::ExeOwner));
        QCOMPARE(::kill(pid_t(first.pid()), SIGUSR2), 0);
        QVERIFY(first.waitForLog("upgrade: started"));
        const QRegularExpression started(QStringLiteral("upgrade: started .* as pid (\\d+)"));
        const qint64 child =
            started.match(QString::fromLocal8Bit(first.log())).captured(1).toLongLong();
        QVERIFY(child > 0);
        QCOMPARE(::kill(pid_t(first.pid()), SIGTERM), 0);
        QCOMPARE(first.waitForExit(), 0);
        QVERIFY2(first.log().contains("upgrade abandoned: the shutdown has begun"),
                 first.log().constData());
        QVERIFY(!isRunning(child));
    }

    // The new instance holds the listener it was given and none of the
    // old one's other descriptors, even one left inheritable; its own
    // child inherits none of its sockets.
    void theNewInstanceInheritsOnlyItsListeners()
    {
        QTemporaryDir dir;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("CANSTOP_HELPER_PORT"), QString::number(freePort()));
        QProcess first;
        first.setProcessEnvironment(environment);
        const QString log = dir.filePath(QStringLiteral("helper.log"));
        first.setStandardOutputFile(log);
        first.setStandardErrorFile(log);
        first.start(program("CANSTOP_TEST_HELPER"), {QStringLiteral("upgrade")});
        const auto text = [&log] {
            QFile file(log);
            return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        };
        QTRY_VERIFY_WITH_TIMEOUT(text().contains("ready\n"), WaitMs);
        const QRegularExpression leakyLine(QStringLiteral("leaky socket (\\d+)"));
        const int leaky = leakyLine.match(QString::fromLatin1(text())).captured(1).toInt();
        QVERIFY2(leaky > 2, text().constData());
        const auto sockets = [](qint64 pid) {
            QMap<QString, QString> found; // target -> fd
            const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
            for (const QString &fd : fds.entryList(QDir::Files | QDir::System)) {
                const QString target = QFile::symLinkTarget(fds.filePath(fd));
                if (target.contains(QLatin1String("socket:")))
                    found.insert(target.mid(target.lastIndexOf(u'/') + 1), fd);
            }
            return found;
        };
        const QMap<QString, QString> oldSockets = sockets(first.processId());
        const QString leakyTarget = oldSockets.key(QString::number(leaky));
        QVERIFY(!leakyTarget.isEmpty());

        QCOMPARE(::kill(pid_t(first.processId()), SIGUSR2), 0);
        QTRY_VERIFY_WITH_TIMEOUT(text().contains("grandchild sockets"), WaitMs);
        const QRegularExpression newPid(QStringLiteral("upgrade: started .* as pid (\\d+)"));
        Survivor next{newPid.match(QString::fromLatin1(text())).captured(1).toLongLong()};
        QVERIFY(next.pid > 0);
        QVERIFY2(text().contains("grandchild sockets 0\n"), text().constData());
        const QMap<QString, QString> newSockets = sockets(next.pid);
        QStringList shared;
        for (auto it = newSockets.cbegin(); it != newSockets.cend(); ++it)
            if (oldSockets.contains(it.key()))
                shared.append(oldSockets.value(it.key()) + QStringLiteral("->") + it.value());
        // Exactly one in common: the listener, at fd 3 in the new instance.
        QCOMPARE(shared.size(), 1);
        QVERIFY2(shared.first().endsWith(QLatin1String("->3")), qPrintable(shared.first()));
        QVERIFY(!newSockets.contains(leakyTarget));
        QVERIFY2(first.state() == QProcess::NotRunning || first.waitForFinished(WaitMs),
                 text().constData());
        QCOMPARE(first.exitStatus(), QProcess::NormalExit);
        QCOMPARE(first.exitCode(), 0);
        QCOMPARE(::kill(pid_t(next.pid), SIGTERM), 0);
        QCOMPARE(waitForExit(std::exchange(next.pid, 0)), 0);
    }

    // Under systemd (a receiver checked with systemd-notify in tst_systemd):
    // the old instance names the new one the unit's main process and then
    // says nothing more, no STOPPING=1, no watchdog ping, no status; the
    // new one says READY=1 and pings the watchdog in its place.
    void underSystemdTheNewInstanceBecomesTheMainProcess()
    {
        QTemporaryDir dir;
        NotifyReceiver receiver;
        QVERIFY(receiver.isBound());
        qputenv("NOTIFY_SOCKET", receiver.address());
        qputenv("WATCHDOG_USEC", "200000");
        qputenv("CANSTOP_HELPER_PORT", QByteArray::number(freePort()));
        FirstInstance first(program("CANSTOP_TEST_HELPER"), {QStringLiteral("upgrade")},
                            dir.filePath(QStringLiteral("helper.log")));
        qunsetenv("NOTIFY_SOCKET");
        qunsetenv("WATCHDOG_USEC");
        qunsetenv("CANSTOP_HELPER_PORT");
        const auto ready = receiver.waitFor("READY=1");
        QVERIFY2(ready && ready->pid == first.pid(), first.log().constData());
        QVERIFY(receiver.waitFor("WATCHDOG=1"));

        const qint64 old = first.pid();
        QCOMPARE(::kill(pid_t(old), SIGUSR2), 0);
        QCOMPARE(first.waitForExit(), 0);
        receiver.collect();
        Survivor next;
        qsizetype told = -1; // the old instance's MAINPID=
        const QList<NotifyMessage> &messages = receiver.messages();
        for (qsizetype i = 0; i < messages.size(); ++i) {
            if (messages.at(i).pid == old && !messages.at(i).value("MAINPID").isEmpty()) {
                next.pid = messages.at(i).value("MAINPID").toLongLong();
                told = i;
            }
        }
        QVERIFY2(told >= 0 && next.pid > 0 && next.pid != old, first.log().constData());
        bool newReady = false;
        for (qsizetype i = 0; i < messages.size(); ++i) {
            const NotifyMessage &message = messages.at(i);
            QVERIFY2(message.pid != old || (i <= told && !message.has("STOPPING=1")),
                     message.text.constData());
            newReady = newReady || (message.pid == next.pid && message.has("READY=1"));
        }
        QVERIFY(newReady);
        // The watchdog is the new instance's now.
        for (int pings = 0; pings < 3;) {
            const auto ping = receiver.waitFor("WATCHDOG=1", 2000);
            QVERIFY(ping);
            pings += ping->pid == next.pid ? 1 : 0;
        }
        QCOMPARE(::kill(pid_t(next.pid), SIGTERM), 0);
        const auto stopping = receiver.waitFor("STOPPING=1");
        QVERIFY(stopping);
        QCOMPARE(stopping->pid, next.pid);
        QCOMPARE(waitForExit(std::exchange(next.pid, 0)), 0);
    }
};

CANSTOP_TEST_MAIN(TestUpgrade)
#include "tst_upgrade.moc"
