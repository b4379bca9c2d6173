// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QSharedDataPointer>
#include <QString>
#include <QStringList>

namespace canstop {

// How one service ended its part of a shutdown.
struct CANSTOP_LIFECYCLE_EXPORT ServiceReport
{
    Q_GADGET
    Q_PROPERTY(QString name MEMBER name)
    Q_PROPERTY(Outcome outcome MEMBER outcome)
    Q_PROPERTY(qint64 stopMs MEMBER stopMs)
    Q_PROPERTY(int restarts MEMBER restarts)
    Q_PROPERTY(QString lastError MEMBER lastError)

public:
    enum class Outcome {
        Clean,    // stopped within its budget
        TimedOut, // missed its budget; the sequence went on without it
        Failed,   // had failed (and was not running) when the shutdown began
        Abandoned // never got its turn: the deadline had already passed
    };
    Q_ENUM(Outcome)

    QString name;
    Outcome outcome = Outcome::Clean;
    qint64 stopMs = 0;
    int restarts = 0;
    QString lastError;

    static QString outcomeName(Outcome outcome);
};

class ShutdownReportData;

// What one shutdown did: why it ran, how long each phase took, how each
// service ended and which sessions it had to abandon.
class CANSTOP_LIFECYCLE_EXPORT ShutdownReport
{
    Q_GADGET
    Q_PROPERTY(QString reason READ reason)
    Q_PROPERTY(int exitCode READ exitCode)
    Q_PROPERTY(bool clean READ isClean)
    Q_PROPERTY(QDateTime startedAt READ startedAt)
    Q_PROPERTY(QDateTime finishedAt READ finishedAt)
    Q_PROPERTY(qint64 totalMs READ totalMs)
    Q_PROPERTY(int sessionsDrained READ sessionsDrained)
    Q_PROPERTY(int sessionsAbandoned READ sessionsAbandoned)
    Q_PROPERTY(QStringList abandonedSessions READ abandonedSessions)

public:
    // In the order they run: Announce, LameDuck, Services, Sessions,
    // LateServices (LameDuck came later, so its value is last).
    enum class Phase { Announce, Services, Sessions, LateServices, LameDuck };
    Q_ENUM(Phase)

    ShutdownReport();
    ShutdownReport(const ShutdownReport &other);
    ShutdownReport &operator=(const ShutdownReport &other);
    ~ShutdownReport();

    // False until a shutdown has finished.
    bool isValid() const;

    QString reason() const;
    int exitCode() const;
    // True when no service timed out or failed and no session was abandoned.
    bool isClean() const;

    QDateTime startedAt() const;
    QDateTime finishedAt() const;
    qint64 totalMs() const;
    qint64 phaseMs(Phase phase) const;

    QList<ServiceReport> services() const;

    // Sessions that ended during the drain, and those still alive at the deadline.
    int sessionsDrained() const;
    int sessionsAbandoned() const;
    // "ClassName(objectName)" or the description given to holdSession(), at most 20.
    QStringList abandonedSessions() const;

    // One line, as logged at the end of a shutdown.
    QString summary() const;
    QJsonObject toJson() const;

private:
    friend class ShutdownSequence;
    QSharedDataPointer<ShutdownReportData> d;
};

} // namespace canstop

Q_DECLARE_METATYPE(canstop::ShutdownReport)
