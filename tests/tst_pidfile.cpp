// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The PID file alone: written whole, replaced whole, removed only while ours.
#include "common/testmain.h"
#include "pidfile_p.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using canstop::PidFile;

namespace {

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(none)");
}

} // namespace

class TestPidFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writtenThenReplacedByTheNewInstance()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.pid"));
        QVERIFY(PidFile::write(path, 1234));
        QCOMPARE(contents(path), QByteArray("1234\n"));
        QVERIFY(PidFile::write(path, 5678)); // the new instance takes over
        QCOMPARE(contents(path), QByteArray("5678\n"));
        // The old instance's exit leaves the new one's file alone...
        QVERIFY(!PidFile::removeIfOurs(path, 1234));
        QCOMPARE(contents(path), QByteArray("5678\n"));
        // ...and the new one's removes it.
        QVERIFY(PidFile::removeIfOurs(path, 5678));
        QVERIFY(!QFile::exists(path));
        QVERIFY(!PidFile::removeIfOurs(path, 5678));
        // Nothing but the file was ever left in the directory.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    void aFileThatIsNotAPidIsLeftAlone()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("echo.pid"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a pid\n");
        file.close();
        QVERIFY(!PidFile::removeIfOurs(path, 0));
        QVERIFY(QFile::exists(path));
    }

    void anUnwritablePlaceIsOneWarning()
    {
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        const QString path = QStringLiteral("/nonexistent/dir/echo.pid");
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^cannot write the PID file /nonexistent/dir/echo\\.pid: .+")));
        QVERIFY(!PidFile::write(path, 1234));
    }
};

CANSTOP_TEST_MAIN(TestPidFile)
#include "tst_pidfile.moc"
