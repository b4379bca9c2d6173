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

/// How one service ended its part of a shutdown.
struct CANSTOP_LIFECYCLE_EXPORT ServiceReport
{
    Q_GADGET
    Q_PROPERTY(QString name MEMBER name)
    Q_PROPERTY(Outcome outcome MEMBER outcome)
    Q_PROPERTY(qint64 stopMs MEMBER stopMs)
    Q_PROPERTY(int restarts MEMBER restarts)
    Q_PROPERTY(QString lastError MEMBER lastError)
    Q_PROPERTY(QString ending MEMBER ending)

public:
    /// How the service ended.
    enum class Outcome {
        Clean,    ///< stopped within its budget
        TimedOut, ///< missed its budget; the sequence went on without it
        Failed,   ///< had failed (and was not running) when the shutdown began
        Abandoned ///< never got its turn: the deadline had already passed
    };
    Q_ENUM(Outcome)

    QString name;                     ///< as in the logs (ServiceOptions::name)
    Outcome outcome = Outcome::Clean; ///< how it ended
    qint64 stopMs = 0;                ///< from its stop request to its end
    int restarts = 0;                 ///< restarts while the program ran
    QString lastError;                ///< why it last failed, if it did
    /// How a child process (a QProcess service) ended: "pid 4242 exited
    /// with code 0", "pid 4242 killed with SIGKILL after its budget"; for a
    /// QThreadPool, the tracked tasks it removed before they started or the
    /// tasks still running when its budget was spent.
    QString ending;

    /// "clean", "timed out", "failed" or "abandoned".
    static QString outcomeName(Outcome outcome);
};

class ShutdownReportData;

/// What one shutdown did: why it ran, how long each phase took, how each
/// service ended and which sessions it had to abandon.
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
    /// In the order they run: Announce, LameDuck, Services, Sessions,
    /// LateServices (LameDuck came later, so its value is last).
    enum class Phase {
        Announce,     ///< shutdownRequested() and the gate
        Services,     ///< the services stopped before the sessions drain
        Sessions,     ///< the drain
        LateServices, ///< services with ServiceOptions::stopAfterSessions
        LameDuck      ///< serving on while readiness fails (setLameDuck())
    };
    Q_ENUM(Phase)

    /// An invalid report.
    ShutdownReport();
    /// Reports are implicitly shared: copies are cheap.
    ///@{
    ShutdownReport(const ShutdownReport &other);
    ShutdownReport &operator=(const ShutdownReport &other);
    ///@}
    ~ShutdownReport();

    /// False until a shutdown has finished.
    bool isValid() const;

    /// LifecycleManager::shutdownReason() of that shutdown.
    QString reason() const;
    /// The code the process exits with: the one requested, or 1 when the
    /// shutdown was not clean.
    int exitCode() const;
    /// True when no service timed out or failed and no session was abandoned.
    bool isClean() const;

    /// When the shutdown began and ended (wall clock), and how long it took
    /// (monotonic).
    ///@{
    QDateTime startedAt() const;
    QDateTime finishedAt() const;
    qint64 totalMs() const;
    ///@}
    /// How long `phase` took; 0 for a phase that did not run.
    qint64 phaseMs(Phase phase) const;

    /// Every service, in the order they were stopped.
    QList<ServiceReport> services() const;

    /// Sessions that ended during the drain, and those still alive at the deadline.
    ///@{
    int sessionsDrained() const;
    int sessionsAbandoned() const;
    ///@}
    /// "ClassName(objectName)" or the description given to holdSession(), at most 20.
    QStringList abandonedSessions() const;

    /// One line, as logged at the end of a shutdown.
    QString summary() const;
    /// Everything above, for a log line or a status endpoint.
    QJsonObject toJson() const;

private:
    friend class ShutdownSequence;
    QSharedDataPointer<ShutdownReportData> d;
};

} // namespace canstop

Q_DECLARE_METATYPE(canstop::ShutdownReport)
