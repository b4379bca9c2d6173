// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "servermetrics_p.h"

#include <QMap>

#include <algorithm>
#include <vector>

namespace canstop {

namespace {

struct Registry
{
    std::mutex mutex;
    std::vector<std::weak_ptr<ServerStats>> servers; // in the order they listened
};

Registry &registry()
{
    static Registry servers;
    return servers;
}

struct Sums
{
    quint64 accepted = 0;
    int open = 0;
    int busy = 0;
    bool draining = false;
    int closedInDrain = 0;
    int cutOff = 0;
};

} // namespace

void ServerMetrics::enter(const std::shared_ptr<ServerStats> &stats)
{
    Registry &servers = registry();
    const std::lock_guard lock(servers.mutex);
    auto &list = servers.servers;
    list.erase(
        std::remove_if(list.begin(), list.end(),
                       [](const std::weak_ptr<ServerStats> &gone) { return gone.expired(); }),
        list.end());
    if (std::none_of(list.cbegin(), list.cend(),
                     [&stats](const std::weak_ptr<ServerStats> &in) { return in.lock() == stats; }))
        list.push_back(stats);
}

void ServerMetrics::write(MetricsText &out)
{
    QMap<QString, Sums> byName;
    {
        Registry &servers = registry();
        const std::lock_guard lock(servers.mutex);
        for (const std::weak_ptr<ServerStats> &entry : servers.servers) {
            const std::shared_ptr<ServerStats> stats = entry.lock();
            if (!stats)
                continue;
            Sums &sums = byName[stats->name()];
            sums.accepted += stats->accepted;
            sums.open += stats->open;
            sums.busy += stats->busy;
            sums.draining = sums.draining || stats->draining;
            sums.closedInDrain += stats->closedInDrain;
            sums.cutOff += stats->cutOff;
        }
    }
    if (byName.isEmpty())
        return;
    using Type = MetricsText::Type;
    out.family("canstop_server_connections_accepted", Type::Counter,
               "Connections each graceful server accepted.");
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        out.sample(double(it->accepted), {{"server", it.key()}});
    out.family("canstop_server_connections_open", Type::Gauge,
               "Connections each graceful server holds open now.");
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        out.sample(it->open, {{"server", it.key()}});
    out.family("canstop_server_connections_busy", Type::Gauge,
               "Connections of each graceful server serving an HTTP request now, or marked busy.");
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        out.sample(it->busy, {{"server", it.key()}});
    out.family("canstop_server_draining", Type::Gauge, "1 once a graceful server's drain began.");
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        out.sample(it->draining, {{"server", it.key()}});
    out.family("canstop_server_drain_connections", Type::Gauge,
               "Of each graceful server's drain so far: connections closed gracefully, those cut "
               "off at its deadline, and those still open.");
    for (auto it = byName.cbegin(); it != byName.cend(); ++it) {
        if (!it->draining)
            continue;
        const QString &server = it.key();
        out.sample(std::max(0, it->closedInDrain - it->cutOff),
                   {{"server", server}, {"outcome", QStringLiteral("drained")}});
        out.sample(it->cutOff, {{"server", server}, {"outcome", QStringLiteral("abandoned")}});
        out.sample(it->open, {{"server", server}, {"outcome", QStringLiteral("open")}});
    }
}

} // namespace canstop
