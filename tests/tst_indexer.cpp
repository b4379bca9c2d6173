// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// examples/indexer as a child process: a pool task, a download from
// canstop-http and a child process, all stopped by one SIGTERM.
#include "common/childprocess.h"
#include "common/testmain.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTest>

class TestIndexer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sigtermStopsAllThree()
    {
        ChildProcess http(QString::fromLocal8Bit(qgetenv("CANSTOP_HTTP")),
                          {QStringLiteral("--port"), QStringLiteral("0")});
        const quint16 port = http.waitForPort();
        QVERIFY(port);
        ChildProcess indexer(QString::fromLocal8Bit(qgetenv("CANSTOP_INDEXER")),
                             {QStringLiteral("--dir"), QStringLiteral(CANSTOP_TESTS_DIR),
                              QStringLiteral("--url"),
                              QStringLiteral("http://127.0.0.1:%1/slow?ms=60000").arg(port)});
        QVERIFY(indexer.waitForOutput("indexing again every second"));
        QElapsedTimer clock;
        clock.start();
        indexer.signal(SIGTERM);
        QCOMPARE(indexer.waitForExit(20000), 0);
        qInfo("all three stopped %lld ms after SIGTERM", clock.elapsed());
        const QByteArray log = indexer.stdErr();
        QVERIFY2(log.contains("download: Operation canceled"), log.constData());
        QVERIFY2(log.contains("indexing stopped after"), log.constData());
        QVERIFY2(log.contains("indexer pool: clean"), log.constData());
        QVERIFY2(log.contains("sleep: clean (pid "), log.constData());
        QVERIFY2(log.contains("ended by signal 15)"), log.constData());
    }
};

CANSTOP_TEST_MAIN(TestIndexer)
#include "tst_indexer.moc"
