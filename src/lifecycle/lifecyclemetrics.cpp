// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "lifecyclemetrics_p.h"

#include <canstop/version.h>

#include <QFile>
#include <QMap>

#include <algorithm>
#include <unistd.h>

namespace canstop {

namespace {

using Type = MetricsText::Type;

// Reads a whole file of /proc (their size is 0 to stat()).
QByteArray readProc(const char *path)
{
    QFile file(QString::fromLatin1(path));
    return file.open(QIODevice::ReadOnly | QIODevice::Unbuffered) ? file.readAll() : QByteArray();
}

} // namespace

void LifecycleMetrics::publish(Snapshot snapshot)
{
    std::lock_guard lock(m_mutex);
    m_snapshot = std::move(snapshot);
}

void LifecycleMetrics::write(MetricsText &out, const Live &live) const
{
    std::lock_guard lock(m_mutex);
    const Snapshot &s = m_snapshot;
    out.family("canstop_ready", Type::Gauge,
               "1 while the process is ready for new work (what /readyz says), else 0.");
    out.sample(live.ready);
    out.family("canstop_shutting_down", Type::Gauge,
               "1 from the moment a shutdown is requested or a termination signal arrives.");
    out.sample(live.shuttingDown);
    out.family("canstop_state", Type::Gauge,
               "The lifecycle's state: 1 for the current one, 0 for the others.");
    for (int i = 0; i < m_states.size(); ++i)
        out.sample(i == s.state, {{"state", QString::fromLatin1(m_states.at(i))}});
    if (s.deadlineNs >= 0 && s.phaseMs.isEmpty()) {
        out.family("canstop_shutdown_phase", Type::Gauge,
                   "While a shutdown runs: 1 for its phase now, 0 for the others.");
        for (const QByteArray &phase : m_phases)
            out.sample(phase == s.phase, {{"phase", QString::fromLatin1(phase)}});
        out.family("canstop_shutdown_remaining_seconds", Type::Gauge,
                   "Time left before the running shutdown's deadline.");
        out.sample(double(std::max<qint64>(0, (s.deadlineNs - live.nowNs) / 1000000)) / 1000);
    }

    out.family("canstop_sessions_active", Type::Gauge, "Sessions open now.");
    out.sample(live.sessions);
    out.family("canstop_sessions", Type::Counter, "Sessions opened since the process started.");
    out.sample(double(live.sessionsEntered));
    out.family("canstop_sessions_refused", Type::Counter,
               "Sessions refused because the shutdown had begun.");
    out.sample(live.sessionsRefused);

    out.family("canstop_services_running", Type::Gauge, "Services running now.");
    out.sample(s.runningServices);
    // Services of one name are one series, so that the output stays valid.
    QMap<QString, std::pair<int, int>> counts; // by name: restarts, failures
    for (const Service &service : s.services) {
        auto &[restarts, failures] = counts[service.name];
        restarts += service.restarts;
        failures += service.failures;
    }
    out.family("canstop_service_restarts", Type::Counter,
               "Restarts of each service by its restart policy.");
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        out.sample(it->first, {{"service", it.key()}});
    out.family("canstop_service_failures", Type::Counter,
               "Failures of each service (it failed or ended on its own), restarted or not.");
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        out.sample(it->second, {{"service", it.key()}});

    if (!s.phaseMs.isEmpty()) {
        out.family("canstop_shutdown_phase_seconds", Type::Gauge,
                   "How long each phase of the last shutdown took.");
        for (const auto &[phase, ms] : s.phaseMs)
            out.sample(double(ms) / 1000, {{"phase", QString::fromLatin1(phase)}});
        out.family("canstop_shutdown_sessions", Type::Gauge,
                   "Sessions the last shutdown drained, and those it abandoned at its deadline.");
        out.sample(s.sessionsDrained, {{"outcome", QStringLiteral("drained")}});
        out.sample(s.sessionsAbandoned, {{"outcome", QStringLiteral("abandoned")}});
    }

    out.family("canstop_build", Type::Info, "The canstop library's version.");
    out.sample(1, {{"version", QStringLiteral(CANSTOP_VERSION_STRING)}});
    if (static const double started = processStartTime(); started > 0) {
        out.family("canstop_start_time_seconds", Type::Gauge,
                   "When the process started, in seconds since the Unix epoch.");
        out.sample(started);
    }
}

QByteArray LifecycleMetrics::snakeCase(const QByteArray &name)
{
    QByteArray snake;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        if (c >= 'A' && c <= 'Z') {
            if (i > 0)
                snake += '_';
            snake += char(c - 'A' + 'a');
        } else {
            snake += c;
        }
    }
    return snake;
}

QList<QByteArray> LifecycleMetrics::keys(const QMetaEnum &names)
{
    QList<QByteArray> keys;
    for (int i = 0; i < names.keyCount(); ++i)
        keys.append(snakeCase(names.key(i)));
    return keys;
}

double LifecycleMetrics::processStartTime()
{
    // proc(5): field 22 of /proc/self/stat is the start in clock ticks after
    // boot; "btime" in /proc/stat is the boot in seconds since the epoch.
    // The command (field 2) may hold spaces: the fields are counted after
    // its closing parenthesis.
    const QByteArray stat = readProc("/proc/self/stat");
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    constexpr int StartTimeAfterCommand = 22 - 3; // fields 3 onwards
    bool ticksOk = false;
    const qulonglong ticks = fields.size() > StartTimeAfterCommand
                                 ? fields.at(StartTimeAfterCommand).toULongLong(&ticksOk)
                                 : 0;
    const QByteArray system = readProc("/proc/stat");
    const qsizetype at = system.indexOf("\nbtime ");
    bool bootOk = false;
    const qulonglong boot =
        at < 0 ? 0 : system.mid(at + 7, system.indexOf('\n', at + 1) - at - 7).toULongLong(&bootOk);
    const long hertz = ::sysconf(_SC_CLK_TCK);
    if (!ticksOk || !bootOk || hertz <= 0)
        return 0;
    return double(boot) + double(ticks) / double(hertz);
}

} // namespace canstop
