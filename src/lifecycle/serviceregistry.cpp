// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "serviceregistry_p.h"

#include "logging_p.h"
#include "serviceentry_p.h"

#include <algorithm>

namespace canstop {

ServiceRegistry::ServiceRegistry(QObject *parent) : QObject(parent) {}

ServiceRegistry::~ServiceRegistry()
{
    qDeleteAll(m_entries);
}

QString ServiceRegistry::refusal(const QObject *service, const ServiceOptions &options) const
{
    if (const QString why = ServiceEntry::refusal(service, bool(options.stop)); !why.isEmpty())
        return QStringLiteral("addService(): %1").arg(why);
    QString why;
    if (m_closed)
        why = QStringLiteral("the shutdown has already begun");
    else if (std::any_of(
                 m_entries.cbegin(), m_entries.cend(),
                 [service](const ServiceEntry *entry) { return entry->service() == service; }))
        why = QStringLiteral("it is already a service");
    else
        why = ServiceEntry::refusal(options);
    if (why.isEmpty())
        return why;
    return QStringLiteral("service \"%1\" was not added: %2")
        .arg(ServiceEntry::nameFor(service, options), why);
}

bool ServiceRegistry::add(QObject *service, const ServiceOptions &options)
{
    if (const QString why = refusal(service, options); !why.isEmpty()) {
        qCWarning(lcServices, "%ls", qUtf16Printable(why));
        return false;
    }
    auto *entry = new ServiceEntry(service, options, nullptr);
    entry->setNeverStarted(m_neverStarted);
    m_entries.push_back(entry);
    connect(entry, &ServiceEntry::runningChanged, this, &ServiceRegistry::countRunning);
    connect(entry, &ServiceEntry::childChanged, this, &ServiceRegistry::childPidsChanged);
    connect(entry, &ServiceEntry::countsChanged, this, &ServiceRegistry::countsChanged);
    connect(entry, &ServiceEntry::ended, this, [this, entry] { Q_EMIT ended(entry); });
    connect(entry, &ServiceEntry::gaveUp, this, [this, entry] { Q_EMIT gaveUp(entry->name()); });
    qCDebug(lcServices, "service \"%ls\" added", qUtf16Printable(entry->name()));
    countRunning(); // a QObject service counts as running from the start
    Q_EMIT countsChanged();
    if (entry->childPid() != 0)
        Q_EMIT childPidsChanged();
    if (m_started)
        entry->start();
    return true;
}

void ServiceRegistry::startAll()
{
    if (m_started || m_closed)
        return;
    m_started = true;
    for (ServiceEntry *entry : m_entries)
        entry->start();
}

void ServiceRegistry::close()
{
    m_closed = true;
}

QString ServiceRegistry::runningThread() const
{
    for (const ServiceEntry *entry : m_entries) {
        if (entry->thread() && entry->isRunning())
            return entry->name();
    }
    return {};
}

std::vector<qint64> ServiceRegistry::childPids() const
{
    std::vector<qint64> pids;
    for (const ServiceEntry *entry : m_entries) {
        if (const qint64 pid = entry->childPid())
            pids.push_back(pid);
    }
    return pids;
}

void ServiceRegistry::countRunning()
{
    const int running =
        static_cast<int>(std::count_if(m_entries.cbegin(), m_entries.cend(),
                                       [](const ServiceEntry *e) { return e->isRunning(); }));
    if (running == std::exchange(m_running, running))
        return;
    Q_EMIT runningChanged(running);
}

} // namespace canstop
