// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The notes example (examples/notes), run as a program offscreen: what is
// typed is on disk after SIGTERM and after a system shutdown; its sync
// connection is closed before a sleep, which waits for it, and opened
// again on resume. logind is the fake of tests/fakelogind on a private bus.
#include "common/privatebus.h"
#include "common/testmain.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

namespace {

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(none)");
}

} // namespace

class TestNotes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_NOTES").isEmpty());
        QVERIFY2(!m_bus.address().isEmpty(), "dbus-daemon did not start");
        QVERIFY(m_dir.isValid());
    }

    void sigtermSavesWhatWasTyped()
    {
        const QString path = m_dir.filePath(QStringLiteral("sigterm.txt"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("first line\n");
        file.close();
        ChildProcess notes = run({QStringLiteral("--file"), path, QStringLiteral("--draft"),
                                  QStringLiteral("typed, not saved")});
        QVERIFY(notes.waitForOutput("editing"));
        QCOMPARE(contents(path), QByteArray("first line\n"));
        notes.signal(SIGTERM);
        QCOMPARE(notes.waitForExit(20000), 0);
        QCOMPARE(contents(path), QByteArray("first line\ntyped, not saved"));
    }

    void systemShutdownSaves()
    {
        FakeLogind logind(m_bus);
        QVERIFY(logind.waitForOutput("ready"));
        const QString path = m_dir.filePath(QStringLiteral("shutdown.txt"));
        ChildProcess notes =
            run({QStringLiteral("--file"), path, QStringLiteral("--draft"), QStringLiteral("x")});
        QVERIFY(notes.waitForOutput("editing"));
        QVERIFY(logind.waitForOutput("inhibit 1 what=shutdown:sleep who=canstop-notes"));
        QVERIFY(logind.command("shutdown"));
        QCOMPARE(notes.waitForExit(20000), 0);
        QVERIFY(notes.stdErr().contains("shutdown requested (system shutdown)"));
        QCOMPARE(contents(path), QByteArray("x"));
        QVERIFY(logind.waitForOutput("released 1 after"));
    }

    // The sleep waits until the sync connection is closed; the resume
    // opens a new one and takes a new lock.
    void syncPausesAcrossASleep()
    {
        FakeLogind logind(m_bus);
        QVERIFY(logind.waitForOutput("ready"));
        QTcpServer syncServer;
        QVERIFY(syncServer.listen(QHostAddress::LocalHost));
        ChildProcess notes =
            run({QStringLiteral("--file"), m_dir.filePath(QStringLiteral("sync.txt")),
                 QStringLiteral("--sync-port"), QString::number(syncServer.serverPort())});
        QVERIFY(syncServer.waitForNewConnection(20000));
        QTcpSocket *first = syncServer.nextPendingConnection();
        QSignalSpy closed(first, &QTcpSocket::disconnected);
        QVERIFY(logind.waitForOutput("inhibit 1"));

        QVERIFY(logind.command("sleep"));
        QVERIFY(closed.wait(20000));
        QVERIFY(logind.waitForOutput("released 1 after"));
        QVERIFY(logind.command("resume"));
        QVERIFY(syncServer.waitForNewConnection(20000));
        QVERIFY(logind.waitForOutput("inhibit 2"));
        notes.signal(SIGTERM);
        QCOMPARE(notes.waitForExit(20000), 0);
    }

private:
    ChildProcess run(const QStringList &arguments)
    {
        return ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_NOTES")), arguments,
                            m_bus.environment());
    }

    PrivateBus m_bus;
    QTemporaryDir m_dir;
};

CANSTOP_TEST_MAIN(TestNotes)
#include "tst_notes.moc"
