// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QObject>
#include <QStringList>

#include <chrono>

QT_BEGIN_NAMESPACE
class QEventLoop;
QT_END_NAMESPACE

namespace canstop {

// The "save now" step of a desktop session's end (a logout) or of an
// application's suspension: saveRequested() to the application, and, when
// the user may be asked, the questions it asks (holds by name) answered
// before the step ends, since the session manager wants its answer before
// the handler returns: a nested event loop runs meanwhile, as a modal
// dialog's would. One "cancel" cancels the session's end. Lives in the
// manager's thread.
class SaveStep : public QObject
{
    Q_OBJECT

public:
    // How long the user has to answer before the session ends all the same:
    // a logout must not hang on a dialog nobody sees.
    static constexpr std::chrono::milliseconds AnswerTimeout{60000};

    explicit SaveStep(std::chrono::milliseconds answerTimeout = AnswerTimeout,
                      QObject *parent = nullptr);
    ~SaveStep() override;

    // Emits saveRequested(mayAsk), then, with `mayAsk`, waits until every
    // hold is released, cancel() is called, or the answer timeout passes.
    // False if cancelled. Refused (true, one warning) while a step runs.
    bool run(bool mayAsk);
    // While a step that may ask runs; one warning and false otherwise, or
    // for an empty name or a release of what holds nothing.
    bool hold(const QString &what);
    bool release(const QString &what);
    bool cancel();

Q_SIGNALS:
    void saveRequested(bool mayAsk);

private:
    void stopWaitingIfAnswered();

    const std::chrono::milliseconds m_answerTimeout;
    bool m_running = false;
    bool m_mayAsk = false;
    bool m_cancelled = false;
    QStringList m_holds;
    QEventLoop *m_wait = nullptr;
};

} // namespace canstop
