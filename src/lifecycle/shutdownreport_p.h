// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/shutdownreport.h>

#include <QSharedData>

#include <array>

namespace canstop {

class ShutdownReportData : public QSharedData
{
public:
    bool valid = false;
    QString reason;
    int exitCode = 0;
    QDateTime startedAt;
    QDateTime finishedAt;
    qint64 totalMs = 0;
    std::array<qint64, 5> phaseMs{};
    QList<ServiceReport> services;
    int sessionsDrained = 0;
    int sessionsAbandoned = 0;
    QStringList abandonedSessions;
};

} // namespace canstop
