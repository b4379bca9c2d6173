// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QDeadlineTimer>
#include <QObject>

#include <chrono>
#include <functional>
#include <optional>

QT_BEGIN_NAMESPACE
class QCoreApplication;
class QEventLoop;
QT_END_NAMESPACE

namespace canstop {

// How the program ends once its shutdown is over: the application's quit()
// turned into the shutdown (a filter on QEvent::Quit); the shutdown run
// after exec() has returned, when an exit came around the filter (a local
// event loop bounded by the deadline); QCoreApplication::exit() with the
// report's code, or _exit() when a thread that cannot be destroyed still
// runs; exitCode()'s reconciliation of exec()'s result with the report.
// Lives in the manager's thread.
class ExitPath : public QObject
{
    Q_OBJECT

public:
    // Asks for the shutdown if none has begun, and returns its deadline.
    using RequestQuit = std::function<QDeadlineTimer()>;
    // Ends the process at once; by default flushes stdio and calls _exit().
    using HardExit = std::function<void(int exitCode)>;

    // The quit loop outlasts the deadline by this much: the sequence ends
    // by the deadline, and the hard stop ends the process soon after it.
    static constexpr std::chrono::milliseconds QuitLoopGrace{1000};

    explicit ExitPath(RequestQuit requestQuit, HardExit hardExit = {}, QObject *parent = nullptr);

    // Filters `app`'s quit events, and runs the shutdown at its aboutToQuit().
    void watch(QCoreApplication *app);
    bool autoExit() const { return m_autoExit; }
    void setAutoExit(bool enabled) { m_autoExit = enabled; }

    // Events.
    // exec() has returned (aboutToQuit): the last chance to run the shutdown.
    void aboutToQuit();
    // The shutdown is over; `runningThread` names a service thread that
    // still runs, if any.
    void finished(int exitCode, const QString &runningThread = {});
    // The manager goes; `pending` is what its shutdown, if under way, still
    // waits for; `reportCode` the exit code of its report, if it has one.
    void managerDestroyed(bool stopping, const QString &pending, std::optional<int> reportCode);

    // What main() should return: exec()'s result, or the report's code
    // when exec() returned 0 after a shutdown.
    int exitCode(int execResult, std::optional<int> reportCode) const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void exitApplication(int exitCode);

    const RequestQuit m_requestQuit;
    const HardExit m_hardExit;
    bool m_autoExit = true;
    bool m_finished = false;
    QEventLoop *m_quitLoop = nullptr;
    // exec() returned a code this shutdown's report may contradict, and
    // nobody has asked exitCode() for the right one yet.
    mutable bool m_execResultUnreconciled = false;
};

} // namespace canstop
