// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "shutdownreport_p.h"

#include <QJsonArray>
#include <QMetaEnum>

namespace canstop {

QString ServiceReport::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Clean:
        return QStringLiteral("clean");
    case Outcome::TimedOut:
        return QStringLiteral("timed out");
    case Outcome::Failed:
        return QStringLiteral("failed");
    case Outcome::Abandoned:
        return QStringLiteral("abandoned");
    }
    return {};
}

ShutdownReport::ShutdownReport() : d(new ShutdownReportData) {}
ShutdownReport::ShutdownReport(const ShutdownReport &other) = default;
ShutdownReport &ShutdownReport::operator=(const ShutdownReport &other) = default;
ShutdownReport::~ShutdownReport() = default;

bool ShutdownReport::isValid() const
{
    return d->valid;
}

QString ShutdownReport::reason() const
{
    return d->reason;
}

int ShutdownReport::exitCode() const
{
    return d->exitCode;
}

bool ShutdownReport::isClean() const
{
    if (d->sessionsAbandoned > 0)
        return false;
    for (const ServiceReport &service : d->services) {
        if (service.outcome != ServiceReport::Outcome::Clean)
            return false;
    }
    return true;
}

QDateTime ShutdownReport::startedAt() const
{
    return d->startedAt;
}

QDateTime ShutdownReport::finishedAt() const
{
    return d->finishedAt;
}

qint64 ShutdownReport::totalMs() const
{
    return d->totalMs;
}

qint64 ShutdownReport::phaseMs(Phase phase) const
{
    return d->phaseMs[static_cast<size_t>(phase)];
}

QList<ServiceReport> ShutdownReport::services() const
{
    return d->services;
}

int ShutdownReport::sessionsDrained() const
{
    return d->sessionsDrained;
}

int ShutdownReport::sessionsAbandoned() const
{
    return d->sessionsAbandoned;
}

QStringList ShutdownReport::abandonedSessions() const
{
    return d->abandonedSessions;
}

QString ShutdownReport::summary() const
{
    QStringList problems;
    for (const ServiceReport &service : d->services) {
        if (service.outcome != ServiceReport::Outcome::Clean)
            problems.append(QStringLiteral("service \"%1\" %2")
                                .arg(service.name, ServiceReport::outcomeName(service.outcome)));
        if (service.outcome == ServiceReport::Outcome::Failed && !service.lastError.isEmpty())
            problems.last() += QStringLiteral(" (%1)").arg(service.lastError);
        else if (service.outcome == ServiceReport::Outcome::TimedOut && !service.ending.isEmpty())
            problems.last() += QStringLiteral(" (%1)").arg(service.ending);
    }
    if (d->sessionsAbandoned > 0) {
        problems.append(QStringLiteral("%1 session(s) abandoned: %2")
                            .arg(d->sessionsAbandoned)
                            .arg(d->abandonedSessions.join(QStringLiteral(", "))));
    }
    QString line = QStringLiteral("shutdown (%1) finished in %2 ms with exit code %3: %4 "
                                  "service(s), %5 session(s) drained")
                       .arg(d->reason)
                       .arg(d->totalMs)
                       .arg(d->exitCode)
                       .arg(d->services.size())
                       .arg(d->sessionsDrained);
    if (!problems.isEmpty())
        line += QStringLiteral("; ") + problems.join(QStringLiteral("; "));
    return line;
}

QJsonObject ShutdownReport::toJson() const
{
    const QMetaEnum phases = QMetaEnum::fromType<Phase>();
    QJsonObject phaseTimes;
    for (int i = 0; i < phases.keyCount(); ++i)
        phaseTimes.insert(QLatin1String(phases.key(i)), d->phaseMs[static_cast<size_t>(i)]);

    QJsonArray services;
    for (const ServiceReport &service : d->services) {
        services.append(QJsonObject{
            {QStringLiteral("name"), service.name},
            {QStringLiteral("outcome"), ServiceReport::outcomeName(service.outcome)},
            {QStringLiteral("stopMs"), service.stopMs},
            {QStringLiteral("restarts"), service.restarts},
            {QStringLiteral("lastError"), service.lastError},
            {QStringLiteral("ending"), service.ending},
        });
    }

    return QJsonObject{
        {QStringLiteral("reason"), d->reason},
        {QStringLiteral("exitCode"), d->exitCode},
        {QStringLiteral("clean"), isClean()},
        {QStringLiteral("startedAt"), d->startedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("finishedAt"), d->finishedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("totalMs"), d->totalMs},
        {QStringLiteral("phaseMs"), phaseTimes},
        {QStringLiteral("services"), services},
        {QStringLiteral("sessions"),
         QJsonObject{
             {QStringLiteral("drained"), d->sessionsDrained},
             {QStringLiteral("abandoned"), d->sessionsAbandoned},
             {QStringLiteral("abandonedNames"), QJsonArray::fromStringList(d->abandonedSessions)},
         }},
    };
}

} // namespace canstop
