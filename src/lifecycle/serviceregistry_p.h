// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "serviceentry_p.h"

#include <QObject>

#include <vector>

namespace canstop {

// The program's services, oldest first: registration (refused with one
// warning, as addService() documents), starting them once the program runs
// (and each one added later at once), and how many of them run. Owns the
// entries. Lives in the manager's thread.
class ServiceRegistry : public QObject
{
    Q_OBJECT

public:
    explicit ServiceRegistry(QObject *parent = nullptr);
    ~ServiceRegistry() override;

    bool add(QObject *service, const ServiceOptions &options);
    // Given to each pool's entry (ServiceEntry::NeverStarted).
    void setNeverStarted(ServiceEntry::NeverStarted neverStarted)
    {
        m_neverStarted = std::move(neverStarted);
    }
    // Events.
    void startAll();
    void close(); // a shutdown has begun: nothing is added any more

    const std::vector<ServiceEntry *> &entries() const { return m_entries; }
    int running() const { return m_running; }
    // A QThread service still running, which cannot be destroyed; empty if none.
    QString runningThread() const;
    // The pids of the child processes (QProcess services) running now.
    std::vector<qint64> childPids() const;

Q_SIGNALS:
    void runningChanged(int running);
    void childPidsChanged();
    // A service was added, or its failures or restarts went up.
    void countsChanged();
    void ended(canstop::ServiceEntry *entry);
    // Its restart policy gave up on it: a shutdown is due.
    void gaveUp(const QString &name);

private:
    QString refusal(const QObject *service, const ServiceOptions &options) const;
    void countRunning();

    std::vector<ServiceEntry *> m_entries; // oldest first
    ServiceEntry::NeverStarted m_neverStarted;
    int m_running = 0;
    bool m_started = false;
    bool m_closed = false;
};

} // namespace canstop
