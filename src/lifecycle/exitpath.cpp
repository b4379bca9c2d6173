// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "exitpath_p.h"

#include "logging_p.h"

#include <QCoreApplication>
#include <QEvent>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace canstop {

ExitPath::ExitPath(RequestQuit requestQuit, HardExit hardExit, QObject *parent)
    : QObject(parent), m_requestQuit(std::move(requestQuit)), m_hardExit(std::move(hardExit))
{}

void ExitPath::watch(QCoreApplication *app)
{
    app->installEventFilter(this);
    connect(app, &QCoreApplication::aboutToQuit, this, &ExitPath::aboutToQuit);
}

bool ExitPath::eventFilter(QObject *watched, QEvent *event)
{
    // QCoreApplication::quit() (a Quit menu, the last window closing)
    // becomes the shutdown, which ends with QCoreApplication::exit() itself.
    if (event->type() != QEvent::Quit || watched != QCoreApplication::instance() || !m_autoExit ||
        m_finished)
        return false;
    m_requestQuit();
    return true;
}

void ExitPath::aboutToQuit()
{
    if (m_finished)
        return;
    // exec() returned the code given to exit(), whatever the report will
    // say; exitCode() reconciles the two.
    m_execResultUnreconciled = true;
    const QDeadlineTimer deadline = m_requestQuit();
    if (m_finished)
        return;
    QEventLoop loop;
    m_quitLoop = &loop;
    QTimer::singleShot(std::chrono::milliseconds(std::max<qint64>(0, deadline.remainingTime())) +
                           QuitLoopGrace,
                       &loop, &QEventLoop::quit);
    loop.exec();
    m_quitLoop = nullptr;
}

void ExitPath::finished(int exitCode, const QString &runningThread)
{
    m_finished = true;
    if (m_quitLoop)
        m_quitLoop->quit();
    if (!m_autoExit)
        return;
    // A QThread still running cannot be destroyed (Qt aborts), and its owner
    // will try once exec() returns: end the process here instead.
    if (!runningThread.isEmpty()) {
        qCWarning(lcServices, "thread \"%ls\" is still running: exiting with %d without cleanup",
                  qUtf16Printable(runningThread), exitCode);
        if (m_hardExit)
            return m_hardExit(exitCode);
        std::fflush(stdout);
        std::fflush(stderr);
        ::_exit(exitCode);
    }
    if (!m_quitLoop) // otherwise exec() has returned already
        exitApplication(exitCode);
}

void ExitPath::exitApplication(int exitCode)
{
    // Before exec() runs, exit() would reach no event loop: post it.
    if (thread()->loopLevel() > 0)
        QCoreApplication::exit(exitCode);
    else
        QMetaObject::invokeMethod(
            QCoreApplication::instance(), [exitCode] { QCoreApplication::exit(exitCode); },
            Qt::QueuedConnection);
}

void ExitPath::managerDestroyed(bool stopping, const QString &pending,
                                std::optional<int> reportCode)
{
    if (stopping) {
        qCCritical(lcLifecycle,
                   "LifecycleManager destroyed during its shutdown; still pending: %ls",
                   qUtf16Printable(pending));
        if (m_autoExit && !m_quitLoop)
            QCoreApplication::exit(1);
    }
    if (m_execResultUnreconciled && reportCode.value_or(0) != 0) {
        qCWarning(lcLifecycle,
                  "QCoreApplication::exit() was called directly, so exec() returned its code, not "
                  "this shutdown's %d; return LifecycleManager::exitCode(app.exec()) from main() "
                  "to exit with it",
                  *reportCode);
    }
}

int ExitPath::exitCode(int execResult, std::optional<int> reportCode) const
{
    m_execResultUnreconciled = false;
    return execResult != 0 ? execResult : reportCode.value_or(execResult);
}

} // namespace canstop
