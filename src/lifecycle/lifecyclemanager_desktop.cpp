// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The manager's desktop face: logind's link and the sleep cycle, wired;
// the save step of a session's end; holds as objects, for QML.
#include <canstop/lifecyclemanager.h>
#include <canstop/shutdownhold.h>

#include "lifecyclemanager_p.h"
#include "logging_p.h"
#ifdef CANSTOP_HAVE_DBUS
#include "logindlink_p.h"
#endif

#include <QCoreApplication>

namespace canstop {

bool LifecycleManager::useLogind()
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::useLogind", "wrong thread");
#ifdef CANSTOP_HAVE_DBUS
    if (d->logind)
        return true;
    if (d->inert)
        return false;
    auto *logind = new LogindLink(this);
    const QString who = QCoreApplication::applicationName();
    if (!logind->open(who.isEmpty() ? QStringLiteral("canstop") : who)) {
        delete logind;
        return false;
    }
    d->logind = logind;
    connect(logind, &LogindLink::shutdownPrepared, this, [this, d, logind] {
        if (d->claimed.load())
            return; // already ending: the lock goes when it has, or at the clamp
        QString reason = QStringLiteral("system shutdown");
        if (const auto clamp = std::max(logind->clamp(), std::chrono::milliseconds(1));
            clamp < d->timeout && setShutdownTimeout(clamp)) {
            reason += QStringLiteral(" (deadline clamped to %1 ms: logind waits no longer)")
                          .arg(clamp.count());
        }
        requestShutdownWithReason(reason);
    });
    connect(this, &LifecycleManager::shutdownRequested, logind, &LogindLink::closing);
    connect(this, &LifecycleManager::shutdownFinished, logind, &LogindLink::unlock);
    connect(logind, &LogindLink::sleepPrepared, &d->sleep, &SleepCycle::prepare);
    connect(logind, &LogindLink::clampExpired, &d->sleep, &SleepCycle::expire);
    connect(logind, &LogindLink::resumed, &d->sleep, &SleepCycle::resume);
    connect(&d->sleep, &SleepCycle::mayProceed, logind, &LogindLink::unlock);
    connect(&d->sleep, &SleepCycle::changed, this,
            [this](bool sleeping) { Q_EMIT sleepingChanged(sleeping, {}); });
    connect(&d->sleep, &SleepCycle::aboutToSleep, this, [this] { Q_EMIT aboutToSleep({}); });
    connect(&d->sleep, &SleepCycle::resumed, this,
            [this](qint64 sleptMs) { Q_EMIT resumed(sleptMs, {}); });
    return true;
#else
    qCDebug(lcLogind, "logind not used: canstop was built without Qt D-Bus");
    return false;
#endif
}

ShutdownHold *LifecycleManager::holdShutdown(const QString &what)
{
    Q_ASSERT_X(d_func()->isInManagerThread(), "LifecycleManager::holdShutdown", "wrong thread");
    return new ShutdownHold(holdSession(what), what, this);
}

bool LifecycleManager::requestSave(bool mayAsk)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::requestSave", "wrong thread");
    return d->saveStep.run(mayAsk);
}

bool LifecycleManager::holdSessionEnd(const QString &what)
{
    Q_ASSERT_X(d_func()->isInManagerThread(), "LifecycleManager::holdSessionEnd", "wrong thread");
    return d_func()->saveStep.hold(what);
}

bool LifecycleManager::releaseSessionEnd(const QString &what)
{
    Q_ASSERT_X(d_func()->isInManagerThread(), "LifecycleManager::releaseSessionEnd",
               "wrong thread");
    return d_func()->saveStep.release(what);
}

bool LifecycleManager::cancelSessionEnd()
{
    Q_ASSERT_X(d_func()->isInManagerThread(), "LifecycleManager::cancelSessionEnd", "wrong thread");
    return d_func()->saveStep.cancel();
}

bool LifecycleManager::isSleeping() const
{
    return d_func()->sleep.isSleeping();
}

QBindable<bool> LifecycleManager::bindableSleeping()
{
    return d_func()->sleep.bindable();
}

bool LifecycleManager::holdSleep(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::holdSleep", "wrong thread");
    return d->sleep.hold(what);
}

bool LifecycleManager::releaseSleep(const QString &what)
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::releaseSleep", "wrong thread");
    return d->sleep.release(what);
}

} // namespace canstop
