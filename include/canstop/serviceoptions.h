// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>

#include <QString>

#include <chrono>
#include <functional>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace canstop {

/// What to do when a service fails while the program runs: it emitted
/// failed(QString), its thread finished, or it was destroyed.
struct CANSTOP_LIFECYCLE_EXPORT RestartPolicy
{
    /// Makes a fresh instance (a QObject with a stop() slot, or a QThread).
    /// Empty: a failed service stays stopped. Instances it makes belong to
    /// the manager, which deletes them once they have ended.
    std::function<QObject *()> factory;
    /// Intensity limit: a failure after `maxRestarts` restarts within
    /// `window` gives up instead of restarting.
    ///@{
    int maxRestarts = 5;
    std::chrono::milliseconds window{60000};
    ///@}
    /// Backoff from the rate of recent failures: none for a lone failure,
    /// then `backoff`, twice that, four times, at most `maxBackoff`.
    ///@{
    std::chrono::milliseconds backoff{1000};
    std::chrono::milliseconds maxBackoff{8000};
    ///@}
    /// Giving up shuts the program down with exit code 1, or, if false,
    /// leaves the service stopped and the program running.
    bool shutdownOnGiveUp = true;

    /// The wait before restarting after `recentFailures` failures within the
    /// window, this one included (only the last five count).
    std::chrono::milliseconds delayAfter(int recentFailures) const;
};

/// How a service is stopped (and restarted). Every field has a sensible default.
struct ServiceOptions
{
    /// Used in logs and the report; empty means objectName(), else the class name.
    QString name;
    /// The service's own stop budget; zero means "whatever is left of the
    /// shutdown deadline". The smaller of the two always applies.
    std::chrono::milliseconds stopTimeout{0};
    /// Stop after the sessions have drained (for what sessions use: a database pool).
    bool stopAfterSessions = false;
    /// What happens when it fails while the program runs: by default it
    /// stays stopped (no factory).
    RestartPolicy restart;
    /// How to stop it, called in its own thread, when its stop() is neither
    /// a slot nor Q_INVOKABLE. LifecycleManager::addService() sets it when
    /// the service's type is known where it is called; set it by hand for
    /// a service passed as a plain QObject *.
    std::function<void(QObject *service)> stop;
};

} // namespace canstop
