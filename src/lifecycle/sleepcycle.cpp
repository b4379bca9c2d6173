// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "sleepcycle_p.h"

#include "logging_p.h"

#include <ctime>

namespace canstop {

namespace {

// CLOCK_BOOTTIME counts the time suspended, CLOCK_MONOTONIC does not: their
// difference grows by exactly the time the machine slept.
qint64 suspendedNs()
{
    timespec boot{};
    timespec monotonic{};
    ::clock_gettime(CLOCK_BOOTTIME, &boot);
    ::clock_gettime(CLOCK_MONOTONIC, &monotonic);
    return (qint64(boot.tv_sec) - qint64(monotonic.tv_sec)) * 1000000000 +
           (qint64(boot.tv_nsec) - qint64(monotonic.tv_nsec));
}

} // namespace

SleepCycle::SleepCycle(QObject *parent) : QObject(parent) {}

void SleepCycle::prepare()
{
    if (m_sleeping.value())
        return;
    m_suspendedAtPrepareNs = suspendedNs();
    m_waiting = true;
    m_sleeping = true;
    qCInfo(lcLogind, "the system is about to sleep");
    Q_EMIT changed(true);
    Q_EMIT aboutToSleep();
    proceedIfFree();
}

void SleepCycle::expire()
{
    if (!m_waiting)
        return;
    qCWarning(lcLogind, "the system sleeps now, still held by: %ls",
              qUtf16Printable(m_holds.join(QStringLiteral(", "))));
    m_waiting = false;
    Q_EMIT mayProceed();
}

void SleepCycle::resume()
{
    if (!m_sleeping.value())
        return;
    const qint64 sleptMs = (suspendedNs() - m_suspendedAtPrepareNs) / 1000000;
    m_waiting = false;
    m_sleeping = false;
    qCInfo(lcLogind, "the system resumed after sleeping %lld ms", sleptMs);
    Q_EMIT changed(false);
    Q_EMIT resumed(sleptMs);
}

bool SleepCycle::hold(const QString &what)
{
    if (what.isEmpty()) {
        qCWarning(lcLogind, "holdSleep(): refused: say what holds it");
        return false;
    }
    m_holds.append(what);
    return true;
}

bool SleepCycle::release(const QString &what)
{
    if (!m_holds.removeOne(what)) {
        qCWarning(lcLogind, "releaseSleep(\"%ls\"): refused: nothing by that name holds it",
                  qUtf16Printable(what));
        return false;
    }
    proceedIfFree();
    return true;
}

void SleepCycle::proceedIfFree()
{
    if (!m_waiting || !m_holds.isEmpty())
        return;
    m_waiting = false;
    Q_EMIT mayProceed();
}

} // namespace canstop
