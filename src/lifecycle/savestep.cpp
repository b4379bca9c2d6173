// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "savestep_p.h"

#include "logging_p.h"

#include <QEventLoop>
#include <QTimer>

namespace canstop {

SaveStep::SaveStep(std::chrono::milliseconds answerTimeout, QObject *parent)
    : QObject(parent), m_answerTimeout(answerTimeout)
{}

SaveStep::~SaveStep() = default;

bool SaveStep::run(bool mayAsk)
{
    if (m_running) {
        qCWarning(lcLifecycle, "requestSave(): refused: a save step is already under way");
        return true;
    }
    m_running = true;
    m_mayAsk = mayAsk;
    m_cancelled = false;
    qCInfo(lcLifecycle, "saving now (%s)",
           mayAsk ? "the user may be asked" : "without asking the user");
    Q_EMIT saveRequested(mayAsk);
    if (mayAsk && !m_cancelled && !m_holds.isEmpty()) {
        QEventLoop wait;
        QTimer timeout;
        timeout.setSingleShot(true);
        connect(&timeout, &QTimer::timeout, &wait, [this, &wait] {
            qCWarning(lcLifecycle, "no answer within %lld ms from: %ls; the session ends",
                      qlonglong(m_answerTimeout.count()),
                      qUtf16Printable(m_holds.join(QStringLiteral(", "))));
            wait.quit();
        });
        timeout.start(m_answerTimeout);
        m_wait = &wait;
        wait.exec();
        m_wait = nullptr;
    }
    m_holds.clear();
    m_running = false;
    m_mayAsk = false;
    if (m_cancelled)
        qCInfo(lcLifecycle, "the user cancelled the end of the session");
    return !m_cancelled;
}

bool SaveStep::hold(const QString &what)
{
    if (!m_running || !m_mayAsk) {
        qCWarning(lcLifecycle,
                  "holdSessionEnd(): refused: only in a slot of saveRequested(true), to ask");
        return false;
    }
    if (what.isEmpty()) {
        qCWarning(lcLifecycle, "holdSessionEnd(): refused: say what holds it");
        return false;
    }
    m_holds.append(what);
    return true;
}

bool SaveStep::release(const QString &what)
{
    if (!m_running) { // an answer after the step had ended: it ended without it
        qCDebug(lcLifecycle, "releaseSessionEnd(\"%ls\"): the step had ended",
                qUtf16Printable(what));
        return false;
    }
    if (!m_holds.removeOne(what)) {
        qCWarning(lcLifecycle, "releaseSessionEnd(\"%ls\"): refused: nothing by that name holds it",
                  qUtf16Printable(what));
        return false;
    }
    stopWaitingIfAnswered();
    return true;
}

bool SaveStep::cancel()
{
    if (!m_running || !m_mayAsk) {
        qCWarning(lcLifecycle, "cancelSessionEnd(): too late: no end of the session is being "
                               "answered (saveRequested(true))");
        return false;
    }
    m_cancelled = true;
    stopWaitingIfAnswered();
    return true;
}

void SaveStep::stopWaitingIfAnswered()
{
    if (m_wait && (m_cancelled || m_holds.isEmpty()))
        m_wait->quit();
}

} // namespace canstop
