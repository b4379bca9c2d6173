// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "shutdownsequence_p.h"

#include "logging_p.h"
#include "serviceentry_p.h"
#include "sessiongate_p.h"
#include "shutdownreport_p.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace canstop {

using Phase = ShutdownReport::Phase;

ShutdownSequence::ShutdownSequence(std::shared_ptr<SessionGate> gate, QObject *parent)
    : QObject(parent), m_gate(std::move(gate))
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ShutdownSequence::timerFired);
}

bool ShutdownSequence::setLameDuck(std::chrono::milliseconds delay)
{
    bool announced = false;
    {
        std::lock_guard lock(m_pendingMutex);
        announced = m_pendingAnnounced;
    }
    if (delay.count() < 0 || delay.count() > std::numeric_limits<int>::max() || announced ||
        m_step != Step::Idle) {
        qCWarning(lcLifecycle,
                  "setLameDuck(%lld ms): refused: it is 0 to %d ms, set before a shutdown",
                  static_cast<long long>(delay.count()), std::numeric_limits<int>::max());
        return false;
    }
    m_lameDuck = delay;
    return true;
}

void ShutdownSequence::begin(const QString &reason, int exitCode, QDeadlineTimer deadline,
                             const std::vector<ServiceEntry *> &services)
{
    Q_ASSERT(m_step == Step::Idle);
    m_totalClock.start();
    m_stepClock.start();
    m_deadline = deadline;
    m_requestedExitCode = exitCode;
    m_services = services;
    m_report.d->reason = reason;
    m_report.d->startedAt = QDateTime::currentDateTime();
    m_step = Step::Announce;
    advance();
}

// The whole sequence. Each case either waits (returns; an event calls
// advance() again) or moves on to the next step.
void ShutdownSequence::advance()
{
    for (;;) {
        switch (m_step) {
        case Step::Idle:
        case Step::Done:
            return;
        case Step::Announce:
            enter(Step::LameDuck);
            break;
        case Step::LameDuck:
            // 1. Serving on while load balancers notice the failing
            // readiness, within the deadline.
            if (!m_lameDuckOver && m_lameDuck.count() > 0) {
                if (!m_timer.isActive()) {
                    m_timer.start(int(std::min<qint64>(m_lameDuck.count(), remainingMs())));
                    publishPending();
                }
                return;
            }
            // Servers take what the kernel has queued while sessions are
            // still admitted; from then on nothing enters.
            Q_EMIT drainStarted();
            m_sessionsAtClose = m_gate->close();
            for (ServiceEntry *entry : m_services)
                entry->stopSupervising();
            queueServices(false);
            enter(Step::Services);
            break;
        case Step::Services:
            // 2. Newest first, each within min(own budget, what is left).
            if (!servicesStopped())
                return;
            if (const int asked = m_gate->requestStop())
                qCDebug(lcSessions, "asked %d session(s) to stop", asked);
            enter(Step::Sessions);
            break;
        case Step::Sessions:
            // 3. Until the count is 0, or the deadline names the stragglers.
            if (!sessionsEnded())
                return;
            queueServices(true);
            enter(Step::LateServices);
            break;
        case Step::LateServices:
            // 4. What the sessions used, as in 2.
            if (!servicesStopped())
                return;
            enter(Step::Finish);
            break;
        case Step::Finish:
            // 5.
            finish();
            return;
        }
    }
}

// Two enums for the same steps, on purpose: ShutdownReport::Phase is public,
// so its values keep the order they were added in (LameDuck last), and it
// has no Idle, Finish or Done, which are the sequence's own states.
void ShutdownSequence::enter(Step next)
{
    std::optional<Phase> phase;
    switch (m_step) {
    case Step::Announce:
        phase = Phase::Announce;
        break;
    case Step::LameDuck:
        phase = Phase::LameDuck;
        break;
    case Step::Services:
        phase = Phase::Services;
        break;
    case Step::Sessions:
        phase = Phase::Sessions;
        break;
    case Step::LateServices:
        phase = Phase::LateServices;
        break;
    case Step::Idle:
    case Step::Finish:
    case Step::Done:
        break;
    }
    if (phase)
        m_report.d->phaseMs[static_cast<size_t>(*phase)] = m_stepClock.restart();
    m_step = next;
    publishPending();
    Q_EMIT stepChanged();
}

void ShutdownSequence::queueServices(bool late)
{
    for (ServiceEntry *entry : m_services) {
        if (entry->options().stopAfterSessions == late)
            m_queue.push_back(entry);
    }
}

// True once every queued service has had its turn.
bool ShutdownSequence::servicesStopped()
{
    if (m_current)
        return false;
    while (!m_queue.empty()) {
        ServiceEntry *entry = m_queue.back();
        m_queue.pop_back();
        if (!entry->isRunning() && !entry->lastError().isEmpty()) {
            addServiceReport(entry, ServiceReport::Outcome::Failed);
            continue;
        }
        const qint64 left = remainingMs();
        const qint64 own = entry->options().stopTimeout.count();
        const qint64 budget = own > 0 ? std::min(own, left) : left;
        entry->stop();
        if (budget <= 0 && entry->isRunning()) {
            qCWarning(lcServices, "service \"%ls\" was asked to stop after the shutdown deadline",
                      qUtf16Printable(entry->name()));
            addServiceReport(entry, ServiceReport::Outcome::Abandoned);
            continue;
        }
        m_current = entry;
        m_currentBudgetMs = budget;
        m_timer.start(static_cast<int>(budget));
        publishPending();
        return false;
    }
    return true;
}

bool ShutdownSequence::sessionsEnded()
{
    if (m_sessionsAbandoned)
        return true;
    if (m_gate->count() > 0) {
        if (!m_timer.isActive())
            m_timer.start(static_cast<int>(remainingMs()));
        return false;
    }
    m_timer.stop();
    reportSessions(0, {});
    return true;
}

// Abandoned: still open now, or ended as abandoned by its owner (a
// connection cut at the deadline); the rest drained.
void ShutdownSequence::reportSessions(int stillOpen, const QStringList &stillOpenNames)
{
    const QStringList cut = m_gate->abandoned();
    ShutdownReportData &data = *m_report.d;
    data.sessionsAbandoned = stillOpen + int(cut.size());
    const int admitted = m_sessionsAtClose + m_gate->heldAfterClose();
    data.sessionsDrained = std::max(0, admitted - data.sessionsAbandoned);
    data.abandonedSessions = (stillOpenNames + cut).mid(0, StragglersNamed);
}

void ShutdownSequence::serviceEnded(ServiceEntry *entry)
{
    if (entry != m_current)
        return;
    m_current = nullptr;
    m_timer.stop();
    addServiceReport(entry, ServiceReport::Outcome::Clean);
    advance();
}

void ShutdownSequence::sessionsChanged()
{
    if (m_step == Step::Sessions)
        advance();
}

void ShutdownSequence::skipLameDuck()
{
    if (m_step != Step::LameDuck || m_lameDuckOver)
        return;
    qCInfo(lcLifecycle, "lame duck cut short: draining now");
    m_timer.stop();
    m_lameDuckOver = true;
    publishPending();
    advance();
}

void ShutdownSequence::timerFired()
{
    m_timer.stop();
    if (m_step == Step::LameDuck) {
        m_lameDuckOver = true;
    } else if (m_step == Step::Sessions) {
        const int left = m_gate->count();
        const QStringList names = m_gate->describe(StragglersNamed);
        reportSessions(left, names);
        const QString more = left > names.size()
                                 ? QStringLiteral(" and %1 more").arg(left - names.size())
                                 : QString();
        qCWarning(lcSessions,
                  "%d session(s) still open at the shutdown deadline, abandoned: %ls%ls", left,
                  qUtf16Printable(names.join(QStringLiteral(", "))), qUtf16Printable(more));
        m_sessionsAbandoned = true;
    } else if (ServiceEntry *entry = std::exchange(m_current, nullptr)) {
        qCWarning(lcServices, "service \"%ls\" did not stop within %lld ms",
                  qUtf16Printable(entry->name()), static_cast<long long>(m_currentBudgetMs));
        entry->budgetSpent();
        addServiceReport(entry, ServiceReport::Outcome::TimedOut);
    }
    advance();
}

void ShutdownSequence::finish()
{
    m_timer.stop();
    m_step = Step::Done;
    publishPending();
    m_report.d->valid = true;
    m_report.d->finishedAt = QDateTime::currentDateTime();
    m_report.d->totalMs = m_totalClock.elapsed();
    m_report.d->exitCode =
        m_requestedExitCode != 0 ? m_requestedExitCode : (m_report.isClean() ? 0 : 1);
    if (m_report.isClean())
        qCInfo(lcLifecycle, "%ls", qUtf16Printable(m_report.summary()));
    else
        qCWarning(lcLifecycle, "%ls", qUtf16Printable(m_report.summary()));
    Q_EMIT finished(m_report);
}

void ShutdownSequence::addServiceReport(const ServiceEntry *entry, ServiceReport::Outcome outcome)
{
    ServiceReport service;
    service.name = entry->name();
    service.outcome = outcome;
    service.stopMs = entry->stopMs();
    service.restarts = entry->restarts();
    service.lastError = entry->lastError();
    service.ending = entry->ending();
    m_report.d->services.append(service);
}

void ShutdownSequence::publishPending()
{
    QStringList names;
    if (m_step <= Step::LameDuck) {
        // Nothing is queued yet: what will be, in stop order.
        for (auto it = m_services.crbegin(); it != m_services.crend(); ++it) {
            if (!(*it)->options().stopAfterSessions)
                names.append((*it)->name());
        }
    }
    if (m_current)
        names.append(m_current->name());
    for (auto it = m_queue.crbegin(); it != m_queue.crend(); ++it)
        names.append((*it)->name());
    if (m_step < Step::LateServices) {
        for (const ServiceEntry *entry : m_services) {
            if (entry->options().stopAfterSessions && entry->isRunning())
                names.append(entry->name());
        }
    }
    std::lock_guard lock(m_pendingMutex);
    m_pendingServices = names;
    m_pendingBegun = true;
    m_pendingLameDuck = m_step == Step::LameDuck && !m_lameDuckOver;
}

void ShutdownSequence::announcing()
{
    std::lock_guard lock(m_pendingMutex);
    m_pendingAnnounced = true;
}

QString ShutdownSequence::pendingDescription() const
{
    QStringList pending;
    {
        std::lock_guard lock(m_pendingMutex);
        if (!m_pendingBegun)
            pending.append(m_pendingAnnounced
                               ? QStringLiteral("the whole sequence (announced; the manager's "
                                                "thread is still in the application's slots for "
                                                "the announcement)")
                               : QStringLiteral("the whole sequence (the manager's thread has not "
                                                "acted on it yet)"));
        if (m_pendingLameDuck)
            pending.append(QStringLiteral("the lame duck (serving on)"));
        for (const QString &name : m_pendingServices)
            pending.append(QStringLiteral("service \"%1\"").arg(name));
    }
    if (const int sessions = m_gate->count(); sessions > 0) {
        pending.append(QStringLiteral("%1 session(s): %2")
                           .arg(sessions)
                           .arg(m_gate->describe(StragglersNamed).join(QStringLiteral(", "))));
    }
    return pending.join(QStringLiteral("; "));
}

qint64 ShutdownSequence::remainingMs() const
{
    return std::max<qint64>(0, m_deadline.remainingTime());
}

} // namespace canstop
