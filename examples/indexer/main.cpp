// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-indexer: three kinds of background work, all stopped by Ctrl+C or
// SIGTERM within one deadline, and a report of how each ended.
//   a pool task   walks a directory tree again and again, testing the stop token
//   a download    a GET of --url, aborted as the shutdown begins (it can be redone)
//   a child       --child (default: sleep 600), sent SIGTERM, then SIGKILL
#include <canstop/lifecyclemanager.h>
#include <canstop/networkreply.h>

#include "commandline.h"
#include "dispatcher.h"

#include <QCoreApplication>
#include <QDirIterator>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>

Q_LOGGING_CATEGORY(lcIndexer, "indexer")

int main(int argc, char **argv)
{
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    examples::CommandLine options(
        QStringLiteral("canstop-indexer"),
        QStringLiteral("Indexes a directory tree, downloads a URL and runs a child process "
                       "until Ctrl+C."));
    options.addText(QStringLiteral("dir"), QStringLiteral("Directory to index (default: .)."),
                    QStringLiteral("path"), QStringLiteral("."));
    options.addText(QStringLiteral("url"), QStringLiteral("URL to download (default: none)."),
                    QStringLiteral("url"));
    options.addText(QStringLiteral("child"), QStringLiteral("Command to run (default: sleep 600)."),
                    QStringLiteral("command"), QStringLiteral("sleep 600"));
    examples::addDispatcherOption(options);
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.setShutdownTimeout(std::chrono::seconds(10));

    QThreadPool pool;
    pool.setObjectName(QStringLiteral("indexer pool"));
    if (!lifecycle.addService(&pool))
        return 1;
    const QString dir = options.text(QStringLiteral("dir"));
    auto indexing = QtConcurrent::run(&pool, [dir, token = lifecycle.stopToken()] {
        int pass = 0;
        while (!token.isStopRequested()) {
            int files = 0;
            QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext() && !token.isStopRequested()) {
                it.next();
                ++files;
            }
            if (++pass == 1)
                qCInfo(lcIndexer, "indexed %d file(s); indexing again every second", files);
            for (int tick = 0; tick < 10 && !token.isStopRequested(); ++tick)
                QThread::msleep(100);
        }
        qCInfo(lcIndexer, "indexing stopped after %d pass(es)", pass);
    });
    Q_UNUSED(indexing);

    QNetworkAccessManager network;
    if (options.isSet(QStringLiteral("url"))) {
        QNetworkReply *reply =
            network.get(QNetworkRequest(QUrl(options.text(QStringLiteral("url")))));
        QObject::connect(reply, &QNetworkReply::finished, reply, [reply] {
            qCInfo(lcIndexer, "download: %s",
                   reply->error() == QNetworkReply::NoError ? "done"
                                                            : qPrintable(reply->errorString()));
            reply->deleteLater();
        });
        canstop::trackReply(lifecycle, reply, canstop::ReplyAtShutdown::AbortIdempotent);
    }

    QProcess child;
    QStringList command = QProcess::splitCommand(options.text(QStringLiteral("child")));
    child.setProgram(command.takeFirst());
    child.setArguments(command);
    canstop::ServiceOptions childOptions;
    childOptions.stopTimeout = std::chrono::seconds(3); // then SIGKILL
    if (!lifecycle.addService(&child, childOptions))
        return 1;

    QObject::connect(&lifecycle, &canstop::LifecycleManager::shutdownFinished, &app,
                     [](const canstop::ShutdownReport &report) {
                         for (const canstop::ServiceReport &service : report.services()) {
                             QString line = service.name + QStringLiteral(": ") +
                                            canstop::ServiceReport::outcomeName(service.outcome);
                             if (!service.ending.isEmpty())
                                 line += QStringLiteral(" (%1)").arg(service.ending);
                             qCInfo(lcIndexer, "%ls", qUtf16Printable(line));
                         }
                     });
    qCInfo(lcIndexer, "canstop-indexer running; press Ctrl+C to stop");
    return lifecycle.exitCode(app.exec());
}
