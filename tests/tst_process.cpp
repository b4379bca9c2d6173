// Whole-program behaviour: the helper program run as a child process and
// sent real signals.
#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <csignal>
#include <memory>

namespace {

class Helper
{
public:
    explicit Helper(const QString &mode, int timeoutMs = 30000)
    {
        m_process.setProgram(QString::fromLocal8Bit(qgetenv("CANSTOP_TEST_HELPER")));
        m_process.setArguments({mode, QString::number(timeoutMs)});
        m_process.start();
    }

    ~Helper()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }

    bool waitForOutput(const QByteArray &text, int timeoutMs = 10000)
    {
        QElapsedTimer clock;
        clock.start();
        while (!stdOut().contains(text) && !stdErr().contains(text)) {
            if (clock.elapsed() > timeoutMs || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(100);
        }
        return true;
    }

    void signal(int signalNumber)
    {
        ::kill(static_cast<pid_t>(m_process.processId()), signalNumber);
    }

    // Exit code, or -1 if the process did not exit normally in time.
    int waitForExit(int timeoutMs)
    {
        if (!m_process.waitForFinished(timeoutMs) || m_process.exitStatus() != QProcess::NormalExit)
            return -1;
        return m_process.exitCode();
    }

    QByteArray stdOut()
    {
        m_out += m_process.readAllStandardOutput();
        return m_out;
    }
    QByteArray stdErr()
    {
        m_err += m_process.readAllStandardError();
        return m_err;
    }

private:
    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
};

} // namespace

class TestProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(!qgetenv("CANSTOP_TEST_HELPER").isEmpty()); }

    void sigtermExitsZero()
    {
        Helper helper(QStringLiteral("term"));
        QVERIFY(helper.waitForOutput("ready"));
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(10000), 0);
        QVERIFY2(helper.stdOut().contains("finished 0"), helper.stdOut().constData());
        QVERIFY(helper.stdErr().contains("shutdown requested (SIGTERM)"));
    }

    void secondSigintExitsAtOnce()
    {
        // The session is held far past any test timeout: only the second
        // signal can end this process in time.
        Helper helper(QStringLiteral("hold"), 600000);
        QVERIFY(helper.waitForOutput("ready"));
        helper.signal(SIGINT);
        QVERIFY(helper.waitForOutput("shutdown requested (SIGINT)"));
        helper.signal(SIGINT);
        QCOMPARE(helper.waitForExit(10000), 130);
        const QByteArray err = helper.stdErr();
        QVERIFY2(err.contains("second SIGINT during the shutdown"), err.constData());
        QVERIFY2(err.contains("held forever"), err.constData());
    }

    void laggardIsAbandonedAtTheDeadline()
    {
        Helper helper(QStringLiteral("laggard"), 500);
        QVERIFY(helper.waitForOutput("ready"));
        QElapsedTimer clock;
        clock.start();
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(20000), 1);
        QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
        const QByteArray err = helper.stdErr();
        QVERIFY2(err.contains("service \"stubborn\" did not stop within"), err.constData());
    }

    void blockedThreadDoesNotHoldTheExit()
    {
        Helper helper(QStringLiteral("thread"), 500);
        QVERIFY(helper.waitForOutput("ready"));
        helper.signal(SIGTERM);
        QCOMPARE(helper.waitForExit(20000), 1);
        const QByteArray err = helper.stdErr();
        QVERIFY2(err.contains("service \"blocked\" did not stop within"), err.constData());
        QVERIFY2(err.contains("thread \"blocked\" is still running"), err.constData());
    }

    void intensityLimitEndsTheProgram()
    {
        Helper helper(QStringLiteral("giveup"));
        QCOMPARE(helper.waitForExit(20000), 1);
        const QByteArray err = helper.stdErr();
        QVERIFY2(err.contains("giving up on service \"failing\": it failed again (cannot open its "
                              "queue) after 2 restart(s)"),
                 err.constData());
        QVERIFY2(err.contains("shutdown requested (service \"failing\" gave up)"), err.constData());
    }

    void quitWaitsForSessions_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("QCoreApplication") << QStringLiteral("quit");
        QTest::newRow("QGuiApplication") << QStringLiteral("quit-gui");
        QTest::newRow("QApplication") << QStringLiteral("quit-widgets");
    }

    void quitWaitsForSessions()
    {
        QFETCH(QString, mode);
        Helper helper(mode);
        QCOMPARE(helper.waitForExit(20000), 0);
        const QByteArray out = helper.stdOut();
        QVERIFY2(out.contains("save done"), out.constData());
        QVERIFY2(out.indexOf("save done") < out.indexOf("finished 0"), out.constData());
        QVERIFY2(out.contains("exec returned 0"), out.constData());
        QVERIFY(helper.stdErr().contains("shutdown requested (application quit)"));
    }

    void managerBeforeApplicationIsInert()
    {
        Helper helper(QStringLiteral("inert"));
        QCOMPARE(helper.waitForExit(10000), 0);
        QVERIFY(helper.stdOut().contains("inert"));
        QVERIFY(helper.stdErr().contains("made before the QCoreApplication"));
    }
};

QTEST_GUILESS_MAIN(TestProcess)
#include "tst_process.moc"
