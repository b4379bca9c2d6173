// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "metricstext_p.h"

#include <QByteArray>
#include <QList>
#include <QMetaEnum>
#include <QString>

#include <mutex>
#include <utility>
#include <vector>

namespace canstop {

// What the lifecycle tells a metrics scrape (LifecycleManager::metrics()),
// in any thread: the manager's thread publishes a snapshot of what it holds
// whenever that changes, and a scrape writes the last one with what it
// reads live (readiness and the sessions, which other threads change, and
// which a stuck manager's thread would not publish).
class LifecycleMetrics
{
public:
    struct Service
    {
        QString name;
        int restarts = 0;
        int failures = 0;
    };
    struct Snapshot
    {
        int state = 0; // an index into the states given to the constructor
        int runningServices = 0;
        std::vector<Service> services; // as registered; a name may repeat
        qint64 deadlineNs = -1;        // QDeadlineTimer::deadlineNSecs() of a shutdown
        QByteArray phase;              // the shutdown's phase now, if one runs
        // Of the last shutdown's report, when there is one:
        QList<std::pair<QByteArray, qint64>> phaseMs; // every phase, in order
        int sessionsDrained = -1;
        int sessionsAbandoned = -1;
    };
    struct Live
    {
        bool ready = false;
        bool shuttingDown = false; // requested, or a termination signal seen
        int sessions = 0;
        quint64 sessionsEntered = 0;
        int sessionsRefused = 0;
        qint64 nowNs = 0; // on QDeadlineTimer's clock
    };

    // The names of the manager's states, and of a shutdown's phases, in order.
    LifecycleMetrics(QList<QByteArray> states, QList<QByteArray> phases)
        : m_states(std::move(states)), m_phases(std::move(phases))
    {}

    void publish(Snapshot snapshot);
    void write(MetricsText &out, const Live &live) const;

    bool isPhase(const QByteArray &name) const { return m_phases.contains(name); }
    // The phase of the last snapshot; any thread.
    QByteArray phase() const
    {
        std::lock_guard lock(m_mutex);
        return m_snapshot.phase;
    }

    // A name as a label value: "LateServices" becomes "late_services".
    static QByteArray snakeCase(const QByteArray &name);
    // An enum's keys so, in order.
    static QList<QByteArray> keys(const QMetaEnum &names);
    // When this process started, in seconds since the epoch (from /proc);
    // 0 where that cannot be read.
    static double processStartTime();

private:
    const QList<QByteArray> m_states;
    const QList<QByteArray> m_phases;
    mutable std::mutex m_mutex;
    Snapshot m_snapshot;
};

} // namespace canstop
