// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "metricstext_p.h"

#include <QString>

#include <atomic>
#include <memory>
#include <mutex>

namespace canstop {

// One graceful server's numbers for /metrics: its connection sets (one,
// and one per worker thread) and their guards count into it, and a scrape
// reads it from any thread.
class ServerStats
{
public:
    std::atomic<quint64> accepted{0};
    std::atomic<int> open{0};
    std::atomic<int> busy{0}; // serving an HTTP request, or marked busy
    std::atomic<bool> draining{false};
    std::atomic<int> closedInDrain{0}; // once the drain began, however they ended
    std::atomic<int> cutOff{0};        // of those, closed at the deadline with work left

    // Its objectName(), or what it listens on.
    void setName(QString name)
    {
        const std::lock_guard lock(m_mutex);
        m_name = std::move(name);
    }
    QString name() const
    {
        const std::lock_guard lock(m_mutex);
        return m_name;
    }

private:
    mutable std::mutex m_mutex;
    QString m_name;
};

// Every graceful server that listens, for /metrics: entered when it
// listens, gone with it. Servers of one name are summed, so that the output
// stays valid.
class ServerMetrics
{
public:
    static void enter(const std::shared_ptr<ServerStats> &stats);
    static void write(MetricsText &out);
};

} // namespace canstop
