// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// examples/qml-shutdown as a child process on the offscreen platform:
// SIGTERM shows the overlay with the jobs left, and the program exits 0
// once they are done.
#include "common/childprocess.h"
#include "common/testmain.h"

#include <QImage>
#include <QTemporaryDir>
#include <QTest>

class TestQmlExample : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void overlayShowsTheJobsLeft()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString grab = dir.filePath(QStringLiteral("overlay.png"));

        // As built, with no import path set: it finds `import Canstop` itself.
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("QML_IMPORT_PATH"));
        environment.remove(QStringLiteral("QML2_IMPORT_PATH"));
        ChildProcess example(QString::fromLocal8Bit(qgetenv("CANSTOP_QML_EXAMPLE")),
                             {QStringLiteral("--grab"), grab}, environment);
        QVERIFY2(example.waitForOutput("3 jobs running"), example.stdErr().constData());
        example.signal(SIGTERM);
        QVERIFY2(example.waitForOutput("overlay: 3 job(s) left"), example.stdErr().constData());
        QCOMPARE(example.waitForExit(20000), 0);
        QVERIFY2(example.stdErr().contains("3 session(s) drained"), example.stdErr().constData());

        // The overlay darkens the white window all over.
        QImage image(grab);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(480, 240));
        QVERIFY(qGray(image.pixel(240, 220)) < 100);
        QVERIFY(qGray(image.pixel(5, 5)) < 100);
    }
};

CANSTOP_TEST_MAIN(TestQmlExample)
#include "tst_qmlexample.moc"
