// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// A small program for the whole-program tests: each mode sets up one
// situation, prints "ready" once it is set, and lets the test send signals.
#include <canstop/eventdispatcher.h>
#include <canstop/gracefultcpserver.h>
#include <canstop/healthprobe.h>
#include <canstop/lifecyclemanager.h>

#include <QApplication>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSocketNotifier>
#include <QThread>
#include <QThreadPool>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sys/socket.h>

using canstop::LifecycleManager;

namespace {

void ready()
{
    std::cout << "ready" << std::endl;
}

// A service that never finishes stopping: it never emits stopped().
class Stubborn : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() {}
Q_SIGNALS:
    void stopped();
};

// Stops as soon as it is asked.
class Steady : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() {}
};

// Fails as soon as it starts.
class Failing : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void start() { Q_EMIT failed(QStringLiteral("cannot open its queue")); }
    void stop() {}
Q_SIGNALS:
    void failed(const QString &error);
};

// Blocks the thread it is called in for a minute: long past any deadline
// or test bound, yet a loop that ends by itself.
void blockForAMinute()
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 60000)
        QThread::msleep(1);
}

// A service whose stop() never returns in time, in the main thread.
class Hanging : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() { blockForAMinute(); }
};

// A thread that ignores every request to end.
class Blocked : public QThread
{
protected:
    void run() override
    {
        for (;;)
            QThread::sleep(1);
    }
};

} // namespace

int main(int argc, char **argv)
{
    const QByteArray mode = argc > 1 ? QByteArray(argv[1]) : QByteArray("term");

    if (mode == "inert") {
        LifecycleManager early;
        const bool anything = early.watchSignals() || early.trackSession(&early);
        std::cout << (anything ? "active" : "inert") << std::endl;
        return anything ? 1 : 0;
    }

    // The same sequence under each kind of application object.
    std::unique_ptr<QCoreApplication> application;
    if (mode == "quit-gui")
        application = std::make_unique<QGuiApplication>(argc, argv);
    else if (mode == "quit-widgets")
        application = std::make_unique<QApplication>(argc, argv);
    else {
        canstop::EventDispatcher::installInMainThread(); // unless CANSTOP_EVENT_DISPATCHER=qt
        application = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication &app = *application;
    LifecycleManager lifecycle;
    lifecycle.setShutdownTimeout(std::chrono::milliseconds(argc > 2 ? std::atoi(argv[2]) : 30000));
    // "upgrade": SIGUSR2 upgrades, as in the examples.
    if (mode == "upgrade" ? !lifecycle.watchSignals({SIGINT, SIGTERM, SIGHUP, SIGUSR2}) ||
                                !lifecycle.upgradeOnSignal()
                          : !lifecycle.watchSignals())
        return 2;
    lifecycle.useSystemd(); // nothing unless NOTIFY_SOCKET is set
    // The report as a file, where CANSTOP_HELPER_REPORT says; its pid for
    // the test to catch it in the middle of writing it.
    if (qEnvironmentVariableIsSet("CANSTOP_HELPER_REPORT")) {
        if (!lifecycle.setReportFile(qEnvironmentVariable("CANSTOP_HELPER_REPORT")))
            return 2;
        std::cout << "pid " << QCoreApplication::applicationPid() << std::endl;
    }
    // After the shutdown the process stays, its probe answering.
    if (qEnvironmentVariableIsSet("CANSTOP_HELPER_STAY"))
        lifecycle.setAutoExit(false);
    canstop::HealthProbe health(&lifecycle);
    if (qEnvironmentVariableIsSet("CANSTOP_HELPER_HEALTH")) {
        health.setLivenessBound(std::chrono::milliseconds(300));
        if (!health.listen(QHostAddress::LocalHost))
            return 2;
        std::cout << "health port " << health.serverPort() << std::endl;
    }
    std::cout << "NOTIFY_SOCKET=" << qgetenv("NOTIFY_SOCKET").constData() << std::endl;

    Stubborn stubborn;
    stubborn.setObjectName(QStringLiteral("stubborn"));
    Failing failing;
    Blocked *blocked = nullptr;
    canstop::SessionToken held;

    if (mode == "term") {
        // Nothing holds the shutdown open.
    } else if (mode == "hold") {
        held = lifecycle.holdSession(QStringLiteral("held forever"));
    } else if (mode == "busy") {
        // The main thread blocks as the shutdown is announced.
        QObject::connect(&lifecycle, &LifecycleManager::shutdownRequested, &app,
                         [] { blockForAMinute(); });
        held = lifecycle.holdSession(QStringLiteral("upload"));
    } else if (mode == "hanging") {
        auto *hanging = new Hanging;
        hanging->setObjectName(QStringLiteral("hanging"));
        if (!lifecycle.addService(hanging))
            return 2;
    } else if (mode == "save") {
        // A save that takes a moment once the shutdown is announced.
        held = lifecycle.holdSession(QStringLiteral("save"));
        QObject::connect(&lifecycle, &LifecycleManager::shutdownRequested, &app, [&held] {
            QTimer::singleShot(300, [&held] {
                std::cout << "save done" << std::endl;
                held.reset();
            });
        });
    } else if (mode == "direct-exit" || mode == "direct-exit-raw") {
        // exit(0) straight away while a save is still held: it is abandoned.
        held = lifecycle.holdSession(QStringLiteral("save"));
        QTimer::singleShot(0, &app, [] { QCoreApplication::exit(0); });
    } else if (mode == "trickle") {
        // Two of three sessions end during the drain; the third never does.
        static canstop::SessionToken sessions[3];
        for (int i = 0; i < 3; ++i)
            sessions[i] = lifecycle.holdSession(QStringLiteral("session %1").arg(i));
        QObject::connect(&lifecycle, &LifecycleManager::shutdownRequested, &app, [] {
            QTimer::singleShot(300, [] { sessions[0].reset(); });
            QTimer::singleShot(1500, [] { sessions[1].reset(); });
        });
    } else if (mode == "pool") {
        // A job of the global thread pool outlasts the deadline, and
        // ~QCoreApplication waits for the pool after exec() has returned.
        auto job = std::make_shared<canstop::SessionToken>(
            lifecycle.holdSession(QStringLiteral("indexing job")));
        QThreadPool::globalInstance()->start([job] {
            blockForAMinute();
            job->reset();
        });
    } else if (mode == "adopt") {
        // A listener of its own, opened before asking for an inherited one.
        static QTcpServer own;
        if (!own.listen(QHostAddress::LocalHost))
            return 2;
        static canstop::GracefulTcpServer inherited(&lifecycle);
        std::cout << "inherited " << (inherited.listenInherited() ? "yes" : "no") << std::endl;
    } else if (mode == "upgrade") {
        // A listener on CANSTOP_HELPER_PORT and, in the first instance, a
        // socket that a careless library left inheritable: an upgrade's new
        // instance must not get it. A new instance shows what its own child
        // inherits.
        static canstop::GracefulTcpServer server(&lifecycle);
        if (!server.listen(QHostAddress::LocalHost,
                           quint16(qEnvironmentVariableIntValue("CANSTOP_HELPER_PORT"))))
            return 2;
        std::cout << "listening on 127.0.0.1:" << server.serverPort() << std::endl;
        if (LifecycleManager::upgradedFrom() == 0) {
            std::cout << "leaky socket " << ::socket(AF_INET, SOCK_STREAM, 0) << std::endl;
        } else {
            static QProcess grandchild;
            grandchild.setProgram(QStringLiteral("/bin/ls"));
            grandchild.setArguments({QStringLiteral("-l"), QStringLiteral("/proc/self/fd/")});
            grandchild.start();
            grandchild.waitForFinished();
            std::cout << "grandchild sockets "
                      << grandchild.readAllStandardOutput().count("socket:") << std::endl;
        }
    } else if (mode == "child") {
        // A child process that ignores SIGTERM, with a budget longer than
        // any test; its pid is printed once it ignores SIGTERM.
        static QProcess child;
        QObject::connect(&child, &QProcess::readyReadStandardOutput, &app, [] {
            if (child.readAllStandardOutput().contains("trapped"))
                std::cout << "child " << child.processId() << std::endl;
        });
        child.setProgram(QStringLiteral("/bin/sh"));
        child.setArguments(
            {QStringLiteral("-c"), QStringLiteral("trap '' TERM; echo trapped; exec sleep 600")});
        canstop::ServiceOptions options;
        options.stopTimeout = std::chrono::minutes(10);
        if (!lifecycle.addService(&child, options))
            return 2;
    } else if (mode == "early") {
        lifecycle.requestShutdown(); // before exec(), with nothing to wait for
    } else if (mode == "cleanup") {
        QTimer::singleShot(0, &lifecycle, [&lifecycle] { lifecycle.requestShutdown(); });
    } else if (mode == "laggard") {
        if (!lifecycle.addService(&stubborn))
            return 2;
    } else if (mode == "thread") {
        // Deliberately leaked: a running QThread must never be destroyed.
        blocked = new Blocked;
        blocked->setObjectName(QStringLiteral("blocked"));
        if (!lifecycle.addService(blocked))
            return 2;
    } else if (mode == "giveup") {
        canstop::ServiceOptions options;
        options.name = QStringLiteral("failing");
        options.restart.factory = [] { return new Failing; };
        options.restart.maxRestarts = 2;
        options.restart.backoff = std::chrono::milliseconds(10);
        if (!lifecycle.addService(&failing, options))
            return 2;
    } else if (mode == "flaky") {
        // Fails twice, then runs: two failures, two restarts. Its name has
        // every character that a metric's label must escape.
        canstop::ServiceOptions options;
        options.name = QStringLiteral("flaky \"one\" \\ two\nthree");
        options.restart.factory = [] {
            static int made = 0;
            return ++made < 2 ? static_cast<QObject *>(new Failing) : new Steady;
        };
        options.restart.maxRestarts = 5;
        options.restart.backoff = std::chrono::milliseconds(10);
        if (!lifecycle.addService(&failing, options))
            return 2;
    } else if (mode.startsWith("quit")) {
        // A save in progress when the application is told to quit.
        held = lifecycle.holdSession(QStringLiteral("save"));
        QTimer::singleShot(0, &app, &QCoreApplication::quit);
        QTimer::singleShot(300, &app, [&held] {
            std::cout << "save done" << std::endl;
            held.reset();
        });
    } else {
        std::cerr << "unknown mode " << mode.constData() << std::endl;
        return 2;
    }

    QObject::connect(&lifecycle, &LifecycleManager::stateChanged, &app,
                     [](LifecycleManager::State state) {
                         if (state == LifecycleManager::State::Running)
                             ready();
                     });
    QObject::connect(&lifecycle, &LifecycleManager::shutdownFinished, &app,
                     [](const canstop::ShutdownReport &report) {
                         std::cout << "finished " << report.exitCode() << std::endl;
                         if (qEnvironmentVariableIsSet("CANSTOP_HELPER_REPORT")) {
                             const QByteArray json =
                                 QJsonDocument(report.toJson()).toJson(QJsonDocument::Compact);
                             std::cout << "report " << json.constData() << std::endl;
                         }
                     });
    const int code = app.exec();
    std::cout << "exec returned " << code << std::endl;
    if (mode == "cleanup") {
        // Slow cleanup while the manager still lives: a signal must still act.
        std::cout << "cleanup" << std::endl;
        blockForAMinute();
        std::cout << "cleanup over" << std::endl;
    }
    // What main() should return; the raw mode shows what happens without it.
    return mode == "direct-exit-raw" ? code : lifecycle.exitCode(code);
}

#include "main.moc"
