// examples/qml-shutdown as a child process on the offscreen platform:
// SIGTERM shows the overlay with the jobs left, and the program exits 0
// once they are done.
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

class TestQmlExample : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void overlayShowsTheJobsLeft()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString grab = dir.filePath(QStringLiteral("overlay.png"));

        QProcess example;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QML_IMPORT_PATH"),
                           environment.value(QStringLiteral("CANSTOP_QML_IMPORT_PATH")));
        example.setProcessEnvironment(environment);
        example.setProgram(QString::fromLocal8Bit(qgetenv("CANSTOP_QML_EXAMPLE")));
        example.setArguments({QStringLiteral("--grab"), grab});
        example.setProcessChannelMode(QProcess::MergedChannels);
        example.start();

        QByteArray log;
        auto waitFor = [&](const QByteArray &text) {
            QDeadlineTimer deadline(20000);
            while (!log.contains(text) && !deadline.hasExpired() &&
                   example.state() != QProcess::NotRunning) {
                example.waitForReadyRead(100);
                log += example.readAll();
            }
            return log.contains(text);
        };
        QVERIFY2(waitFor("3 jobs running"), log.constData());
        ::kill(static_cast<pid_t>(example.processId()), SIGTERM);
        QVERIFY2(waitFor("overlay: 3 job(s) left"), log.constData());

        QVERIFY(example.waitForFinished(20000));
        log += example.readAll();
        QCOMPARE(example.exitStatus(), QProcess::NormalExit);
        QVERIFY2(example.exitCode() == 0, log.constData());
        QVERIFY2(log.contains("3 session(s) drained"), log.constData());

        // The overlay darkens the white window all over.
        QImage image(grab);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(480, 240));
        QVERIFY(qGray(image.pixel(240, 220)) < 100);
        QVERIFY(qGray(image.pixel(5, 5)) < 100);
    }
};

QTEST_GUILESS_MAIN(TestQmlExample)
#include "tst_qmlexample.moc"
