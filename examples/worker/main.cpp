// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop-worker: three services, stopped newest first on Ctrl+C.
//   counter   a thread counting multiples of 4 in random numbers; reports on stop
//   producer  ignores stop(): abandoned after its 5 s budget, so the exit code is 1
//   flaky     fails now and then, and is restarted with backoff
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>

#include "commandline.h"
#include "dispatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <cstdio>

using namespace std::chrono_literals;

Q_LOGGING_CATEGORY(lcWorker, "worker")

class Counter : public QThread
{
protected:
    void run() override
    {
        qint64 seen = 0, found = 0;
        while (!isInterruptionRequested()) {
            for (int i = 0; i < 10000; ++i, ++seen)
                found += QRandomGenerator::global()->generate() % 4 == 0;
            QThread::msleep(1);
        }
        qCInfo(lcWorker, "counter: %lld of %lld numbers were multiples of 4", found, seen);
    }
};

class Producer : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() { qCInfo(lcWorker, "producer: asked to stop, but it has more to produce"); }
Q_SIGNALS:
    void stopped(); // never emitted: this producer does not stop
};

class Flaky : public QObject
{
    Q_OBJECT
public:
    Flaky()
    {
        connect(&m_tick, &QTimer::timeout, this, [this] {
            if (QRandomGenerator::global()->bounded(4) == 0) {
                m_tick.stop();
                Q_EMIT failed(QStringLiteral("lost its connection"));
            }
        });
    }
public Q_SLOTS:
    void start() { m_tick.start(300ms); }
    void stop() { m_tick.stop(); }
Q_SIGNALS:
    void failed(const QString &error);

private:
    QTimer m_tick;
};

int main(int argc, char **argv)
{
    examples::chooseEventDispatcher(argc, argv); // epoll unless --qt-dispatcher
    QCoreApplication app(argc, argv);
    examples::CommandLine options(QStringLiteral("canstop-worker"),
                                  QStringLiteral("A worker service that stops gracefully."));
    options.addNumber(QStringLiteral("health-port"),
                      QStringLiteral("Answer /readyz and /livez on 127.0.0.1:<port>."),
                      QStringLiteral("port"), 0, 65535);
    options.addFlag(QStringLiteral("logind"),
                    QStringLiteral("Take logind's delay lock: a system shutdown stops the worker "
                                   "in time, and it says when the machine sleeps and resumes."));
    // A bad value, an unknown option or a missing value is refused: status 2.
    examples::addDispatcherOption(options);
    if (const int status = options.handle(app.arguments()); status >= 0)
        return status;

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    lifecycle.useSystemd(); // when systemd started it: READY, STATUS, STOPPING, watchdog
    lifecycle.setShutdownTimeout(10s);
    if (options.isSet(QStringLiteral("logind")) && !lifecycle.useLogind())
        qCInfo(lcWorker, "no logind here: running without its lock");

    // Readiness for an orchestrator: 503 from the instant a shutdown begins.
    canstop::HealthProbe health(&lifecycle);
    if (options.isSet(QStringLiteral("health-port"))) {
        if (!health.listen(QHostAddress::LocalHost,
                           quint16(options.number(QStringLiteral("health-port")))))
            return 2;
        qCInfo(lcWorker, "health probe on 127.0.0.1:%u", health.serverPort());
    }

    Counter counter;
    canstop::ServiceOptions counterOptions;
    counterOptions.name = QStringLiteral("counter");
    if (!lifecycle.addService(&counter, counterOptions))
        return 2;

    Producer producer;
    canstop::ServiceOptions producerOptions;
    producerOptions.name = QStringLiteral("producer");
    producerOptions.stopTimeout = 5s;
    if (!lifecycle.addService(&producer, producerOptions))
        return 2;

    Flaky flaky;
    canstop::ServiceOptions flakyOptions;
    flakyOptions.name = QStringLiteral("flaky");
    flakyOptions.restart.factory = [] { return new Flaky; };
    flakyOptions.restart.maxRestarts = 100;
    if (!lifecycle.addService(&flaky, flakyOptions))
        return 2;

    // Before a sleep: the counter's tally is written down first (a hold
    // keeps the sleep waiting for it, within what logind allows).
    QObject::connect(&lifecycle, &canstop::LifecycleManager::aboutToSleep, &lifecycle, [&] {
        lifecycle.holdSleep(QStringLiteral("tally"));
        QTimer::singleShot(100ms, &lifecycle, [&] {
            qCInfo(lcWorker, "tally written; the machine may sleep");
            lifecycle.releaseSleep(QStringLiteral("tally"));
        });
    });
    QObject::connect(&lifecycle, &canstop::LifecycleManager::resumed, &lifecycle,
                     [](qint64 sleptMs) { qCInfo(lcWorker, "awake after %lld ms", sleptMs); });

    qCInfo(lcWorker, "canstop-worker running; press Ctrl+C to stop");
    return lifecycle.exitCode(app.exec());
}

#include "main.moc"
