// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>
#include <canstop/serviceoptions.h>
#include <canstop/sessiontoken.h>
#include <canstop/shutdownhold.h>
#include <canstop/shutdownreport.h>
#include <canstop/stoptoken.h>

#include <QDeadlineTimer>
#include <QFuture>
#include <QList>
#include <QObject>
#include <QProcess>
#include <QProperty>
#include <QString>
#include <QThread>
#include <QThreadPool>

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

QT_BEGIN_NAMESPACE
class QNetworkReply;
QT_END_NAMESPACE

namespace canstop {

class LifecycleManagerPrivate;

/// The program's lifecycle: turns SIGINT/SIGTERM (once watchSignals() is
/// called), requestShutdown() and QCoreApplication::quit() into one shutdown
/// that stops the services newest first, drains the sessions and then exits
/// the application, all within one deadline.
///
/// Threads: the manager lives in the main thread, and every function here
/// belongs to it, except the ones marked thread-safe: requestShutdown(),
/// trackSession(), holdSession(), trackFuture(), stopToken(),
/// activeSessions(), shutdownPhase(), metrics() and instance() (which makes
/// a manager only in the main thread). Properties change, and signals
/// are emitted, in the main thread only.
class CANSTOP_LIFECYCLE_EXPORT LifecycleManager : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged BINDABLE bindableState)
    Q_PROPERTY(bool shuttingDown READ isShuttingDown NOTIFY shuttingDownChanged BINDABLE
                   bindableShuttingDown)
    Q_PROPERTY(int activeSessions READ activeSessions NOTIFY activeSessionsChanged BINDABLE
                   bindableActiveSessions)
    Q_PROPERTY(int runningServices READ runningServices NOTIFY runningServicesChanged BINDABLE
                   bindableRunningServices)
    Q_PROPERTY(QString shutdownReason READ shutdownReason NOTIFY shutdownReasonChanged BINDABLE
                   bindableShutdownReason)
    Q_PROPERTY(int shutdownTimeout READ shutdownTimeoutMs WRITE setShutdownTimeoutMs NOTIFY
                   shutdownTimeoutChanged)
    Q_PROPERTY(
        int remainingMs READ remainingMs NOTIFY remainingMsChanged BINDABLE bindableRemainingMs)
    Q_PROPERTY(bool autoExit READ autoExit WRITE setAutoExit NOTIFY autoExitChanged)
    Q_PROPERTY(bool ready READ isReady NOTIFY readyChanged BINDABLE bindableReady)
    Q_PROPERTY(bool sleeping READ isSleeping NOTIFY sleepingChanged BINDABLE bindableSleeping)

public:
    /// Where the program is in its life. It only moves forward.
    enum class State {
        Starting, ///< made; the event loop has not run yet
        Running,  ///< the event loop runs; no shutdown has begun
        Stopping, ///< a shutdown is under way (lame duck, services, sessions)
        Stopped   ///< the shutdown is over; report() has its report
    };
    Q_ENUM(State)

    /// What trackFuture() does with a future when the shutdown begins.
    enum class FutureAtShutdown {
        Await, ///< waits for it to finish, up to the deadline
        Cancel ///< cancels it (QFuture::cancel()), then waits for its work to return
    };
    Q_ENUM(FutureAtShutdown)

    /// How metrics() writes its families.
    enum class MetricsFormat {
        Prometheus, ///< the Prometheus text format, version 0.0.4
        OpenMetrics ///< OpenMetrics 1.0.0, without its closing "# EOF"
    };
    Q_ENUM(MetricsFormat)

    /// The shutdown's budget unless setShutdownTimeout() says otherwise.
    static constexpr std::chrono::milliseconds DefaultShutdownTimeout{30000};

    /// Makes a manager; make the application's one first thing in main(),
    /// after the QCoreApplication.
    explicit LifecycleManager(QObject *parent = nullptr);
    /// Warns if a direct QCoreApplication::exit() was never reconciled
    /// through exitCode().
    ~LifecycleManager() override;

    /// The application's manager: the first one made while a QCoreApplication
    /// exists, or, if there is none yet, one made now as a child of the
    /// application. Null before the QCoreApplication exists. A manager made
    /// after instance() had to make one does nothing, with one warning:
    /// make the application's manager first.
    static LifecycleManager *instance();

    /// Opt-in: route SIGINT and SIGTERM to a shutdown and SIGHUP to
    /// reloadRequested(). Only one manager in a process may watch signals.
    bool watchSignals();
    /// The same for the given signals (SIGINT, SIGTERM and SIGHUP only). False
    /// with one warning for any other, or when another manager already
    /// watches signals; then none of them is watched.
    bool watchSignals(const QList<int> &signalNumbers);

    /// Opt-in: when systemd started the program (NOTIFY_SOCKET is set), tell
    /// it READY=1 once the program is ready (see isReady()), STATUS= lines,
    /// STOPPING=1 when the shutdown begins, RELOADING=1 and READY=1 around a
    /// SIGHUP's reloadRequested(), EXTEND_TIMEOUT_USEC= while the drain makes
    /// progress (never past the deadline), and WATCHDOG=1 at half of
    /// WATCHDOG_USEC from this manager's event loop, so a stalled loop gets
    /// the program restarted. Unsets the variables, so children do not
    /// inherit them. False, with a warning if it is garbled, when there is no
    /// usable notify socket; then nothing is ever sent.
    bool useSystemd();
    /// systemd's file descriptor store (FileDescriptorStoreMax= in the unit):
    /// systemd keeps a duplicate of `fd` and passes it to the next start of
    /// the service through LISTEN_FDS, named `name` in LISTEN_FDNAMES. False
    /// without a word when useSystemd() found no systemd; with one warning
    /// for a descriptor that is not open, a name systemd refuses (empty,
    /// longer than 255, a space, ':' or a control character) or a unit
    /// without a store.
    bool storeFileDescriptor(int fd, const QString &name);

    /// Zero-downtime upgrade: starts the program anew (the file it was
    /// started as, argv[0], as it is on disk now, so a replaced binary or a
    /// switched symlink is what runs) with the same arguments, handing it
    /// the listeners shared with shareListener() as systemd passes sockets
    /// (LISTEN_FDS, LISTEN_FDNAMES), where listen() and listenInherited()
    /// take them. Both serve until the new instance is ready (isReady()
    /// there); then this one drains as on SIGTERM, with no lame duck and
    /// leaving the listeners' kernel queues to the new one
    /// (isHandingOver()), and exits 0. Under useSystemd() the new instance
    /// becomes the unit's main process (MAINPID=) and no STOPPING=1 is sent.
    /// If the new instance exits, crashes, or is not ready within
    /// upgradeTimeout(), it is killed if it still runs, upgradeFailed() says
    /// why, and this one serves on, its readiness untouched; a shutdown that
    /// begins meanwhile kills it too. False, with one warning, while an
    /// upgrade is under way, once the shutdown has begun, or in the process
    /// that is PID 1 (a container's init, whose exit ends the container: run
    /// it under a small init such as tini).
    bool upgrade();
    /// The default of setUpgradeTimeout().
    static constexpr std::chrono::milliseconds DefaultUpgradeTimeout{30000};
    /// How long upgrade() waits for the new instance to be ready (default
    /// 30 s). Zero, negative or more than INT_MAX ms is refused.
    ///@{
    bool setUpgradeTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds upgradeTimeout() const;
    ///@}
    /// Opt-in: `signalNumber` (SIGUSR2, as nginx, by default) calls
    /// upgrade() when it arrives; watchSignals() must watch it too. False,
    /// with one warning, for SIGINT, SIGTERM, SIGHUP or a signal that cannot
    /// be watched.
    ///@{
    bool upgradeOnSignal(int signalNumber);
    bool upgradeOnSignal();
    ///@}
    /// Hands `fd`, the listening socket `owner` serves on, to the new
    /// instance of an upgrade(), named `name` in LISTEN_FDNAMES; one per
    /// owner (sharing again replaces it), until `owner` is destroyed.
    /// GracefulTcpServer, GracefulLocalServer and HealthProbe share theirs.
    /// False, with one warning, for a descriptor that is not a listening
    /// socket or a name systemd refuses (1 to 255 printable ASCII
    /// characters, no space or ':').
    bool shareListener(QObject *owner, int fd, const QString &name);
    /// True once the new instance of an upgrade() is ready and this one
    /// drains for it: servers leave their listeners' queues to it.
    bool isHandingOver() const;
    /// The process id of the instance whose upgrade() started this one; 0
    /// when none did. Thread-safe.
    static qint64 upgradedFrom();
    /// A PID file: this process's id is written to `path` once it is ready
    /// (atomically: a temporary file renamed over it), and the file is
    /// removed at the end of the shutdown if it still names this process
    /// (after an upgrade it names the new instance). Before the program is
    /// ready; false, with one warning, for an empty path or after.
    bool setPidFile(const QString &path);
    /// The shutdown report, as toJson() gives it, written to `path` at the
    /// end of every shutdown, before shutdownFinished() and the exit: whole
    /// or not at all (a process killed while writing leaves no file, not
    /// even a partial one). An existing file is replaced. When the hard
    /// stop ends the process instead (a second signal, or the main thread
    /// stuck past the deadline), the sequence has no report: the file then
    /// holds `exitCode`, `clean` (false), `finishedAt` and `hardStop`, the
    /// message that names what was still pending. False, with one warning,
    /// for an empty path, a directory, or a path whose directory does not
    /// exist; an empty path given while one is set stops it. Thread-safe.
    ///@{
    bool setReportFile(const QString &path);
    QString reportFile() const;
    ///@}

    /// Opt-in: systemd-logind's delay inhibitor lock for shutdown and sleep
    /// (org.freedesktop.login1 on the system bus), taken now in the name of
    /// the application. When logind announces a system shutdown, the
    /// shutdown begins ("system shutdown"), its deadline clamped to what
    /// logind waits (InhibitDelayMaxSec; the reason says so when it
    /// clamps), and the lock is let go once it has finished. When logind
    /// announces a sleep, `sleeping` turns true and aboutToSleep() is
    /// emitted; the lock is let go once no holdSleep() is left; at the
    /// resume, resumed() and a fresh lock. Never longer than logind waits.
    /// False, with one debug line, without a system bus or logind, when
    /// logind refuses the lock, or in a build without Qt D-Bus.
    bool useLogind();
    /// True from logind's announcement of a sleep to the resume (useLogind()).
    bool isSleeping() const;
    /// Holds the machine's sleep while `what` is under way (a file being
    /// saved, a connection being paused), until released by the same name
    /// or logind waits no longer (a warning names what still held it).
    /// Holds taken outside a sleep count at the next one. False, with a
    /// warning, for an empty name or a release of nothing held. In the
    /// manager's thread; QML calls it too.
    Q_INVOKABLE bool holdSleep(const QString &what);
    /// Ends a holdSleep() of the same name.
    Q_INVOKABLE bool releaseSleep(const QString &what);

    /// In a slot of saveRequested(true): the application asks the user
    /// about `what` (a dialog, QML's too), and the session's end waits for
    /// the answer, releaseSessionEnd(what) or cancelSessionEnd(), in a
    /// nested event loop, as a modal dialog would (at most a minute).
    /// False, with a warning, outside such a slot or for an empty name.
    Q_INVOKABLE bool holdSessionEnd(const QString &what);
    /// The user answered about `what` (and it is saved, or dropped).
    Q_INVOKABLE bool releaseSessionEnd(const QString &what);
    /// The user chose to keep working: the logout is cancelled (requestSave()
    /// returns false). Only while saveRequested(true) is being answered.
    Q_INVOKABLE bool cancelSessionEnd();

    /// The whole shutdown's budget (default 30 s). Zero, negative or more
    /// than INT_MAX ms is refused, and so is any change once it has begun.
    bool setShutdownTimeout(std::chrono::milliseconds timeout);
    /// The whole shutdown's budget.
    std::chrono::milliseconds shutdownTimeout() const;
    /// The `shutdownTimeout` property, in milliseconds, for QML.
    ///@{
    int shutdownTimeoutMs() const;
    void setShutdownTimeoutMs(int timeoutMs);
    ///@}

    /// Behind a load balancer: for this long after a shutdown begins, the
    /// program stays a "lame duck": readiness fails at once (isReady(), the
    /// health probe, systemd's STOPPING=1), but servers keep accepting and
    /// serving and sessions are still admitted, while the balancer notices;
    /// then drainStarted() and the drain proper. It counts inside the
    /// deadline; a second SIGINT/SIGTERM ends it at once (a third exits).
    /// Default 0. Negative, more than INT_MAX ms, or once a shutdown has
    /// begun: refused with a warning.
    bool setLameDuck(std::chrono::milliseconds delay);
    /// The lame duck's length (see setLameDuck()).
    std::chrono::milliseconds lameDuck() const;

    /// Whether the end of a shutdown calls QCoreApplication::exit(code)
    /// (default true). Turn it off to run the sequence without ending the
    /// program, e.g. in a test or a plugin host.
    ///@{
    bool autoExit() const;
    void setAutoExit(bool enabled);
    ///@}

    /// A service has a stop() slot (or Q_INVOKABLE, or ServiceOptions::stop);
    /// it is done when it emits stopped() or finished(), when it is
    /// destroyed, or else when stop() returns. False, with one warning, for
    /// a service it refuses: check it, a service refused is never stopped.
    [[nodiscard]] bool addService(QObject *service, const ServiceOptions &options = {});
    /// A thread is started if it is not running, and stopped with
    /// requestInterruption() and quit().
    [[nodiscard]] bool addService(QThread *thread, const ServiceOptions &options = {});
    /// A child process is started if it is not running (its program and
    /// arguments as set), and stopped with SIGTERM (terminate()), then
    /// SIGKILL once its budget is spent; the report says how it ended
    /// (ServiceReport::ending). One that exits on its own has failed, and
    /// is restarted by its restart policy. If the hard stop ends the
    /// program, it first kills the children still running.
    [[nodiscard]] bool addService(QProcess *child, const ServiceOptions &options = {});
    /// A thread pool (QThreadPool::globalInstance() too): at its turn, the
    /// tasks still queued are removed and never start, and the ones running
    /// have its budget to return (they test stopToken()); the report names
    /// how many still ran when it was spent, and the removed tasks that
    /// trackFuture() tracked (their sessions end with the pool's stop).
    /// Services added after the pool, which may still queue work on it,
    /// stop before it.
    [[nodiscard]] bool addService(QThreadPool *pool, const ServiceOptions &options = {});
    /// A service whose type is known here: one without a stop() member does
    /// not compile, and a stop() that is a plain member function, neither a
    /// slot nor Q_INVOKABLE, is called all the same (ServiceOptions::stop).
    template <typename Service>
    [[nodiscard]] std::enable_if_t<
        std::is_base_of_v<QObject, Service> && !std::is_base_of_v<QThread, Service> &&
            !std::is_base_of_v<QProcess, Service> && !std::is_base_of_v<QThreadPool, Service>,
        bool>
    addService(Service *service, ServiceOptions options = {})
    {
        static_assert(HasStop<Service>::value,
                      "a service needs stop(): a slot, a Q_INVOKABLE or a plain member function");
        if (!options.stop)
            options.stop = [](QObject *instance) {
                // A restart's factory may return another type: it has its own slot.
                if (auto *typed = dynamic_cast<Service *>(instance))
                    typed->stop();
            };
        return addService(static_cast<QObject *>(service), options);
    }

    /// Thread-safe. Counts `session` until it is destroyed, in any thread.
    /// False once a shutdown has begun: the caller decides what to do with
    /// the object. The first refusal of a shutdown logs a warning; the rest
    /// are counted, and the count is logged once when the shutdown ends.
    Q_INVOKABLE bool trackSession(QObject *session);
    /// A QNetworkReply as a session, as canstop::trackReply() with
    /// ReplyAtShutdown::Await (<canstop/networkreply.h>): named by its method
    /// and URL, and aborted after the deadline's report, so that it cannot
    /// hold the exit. Defined in Canstop::Network, which a program that
    /// calls it links (this library needs only QtCore). In the reply's thread.
    /// (A template only so that trackSession(nullptr) stays unambiguous.)
    template <typename Reply, std::enable_if_t<std::is_base_of_v<QNetworkReply, Reply>, int> = 0>
    bool trackSession(Reply *reply)
    {
        return trackNetworkReply(reply);
    }
    /// Thread-safe. A session that is not a QObject, for as long as the token
    /// lives; an empty token once a shutdown has begun (refusals are logged
    /// as for trackSession()).
    [[nodiscard]] SessionToken holdSession(const QString &what);
    /// holdSession() as an object, for QML: `Lifecycle.holdShutdown("saving
    /// notes.txt")`, then `release()`. Unsaved work, a save under way: any
    /// shutdown (the last window closed, a logout, SIGTERM, a system
    /// shutdown) waits for it within the deadline, and names `what` in the
    /// report if it is still held then. The manager owns it until its
    /// release(), so a hold QML forgets is not collected but waited for.
    /// Once a shutdown has begun, the hold is refused: not held. In the
    /// manager's thread.
    Q_INVOKABLE canstop::ShutdownHold *holdShutdown(const QString &what);
    /// Thread-safe. What work without an event loop tests to learn that the
    /// shutdown has begun: true in every copy from the instant it begins
    /// (as ready() falls), and once this manager is destroyed.
    StopToken stopToken() const;
    /// Thread-safe. Counts `future` as a session named `what` until it
    /// finishes: a QtConcurrent::run() task, a QPromise's future, a
    /// continuation (then()). When the shutdown begins it is awaited or
    /// cancelled (`atShutdown`); a cancelled future counts until its work
    /// has returned. One still running at the deadline is abandoned and
    /// named. False, like holdSession(), once a shutdown has begun: the
    /// caller decides what to do with the future.
    bool trackFuture(const QFuture<void> &future, const QString &what,
                     FutureAtShutdown atShutdown = FutureAtShutdown::Await);
    /// The same for a future of any result type.
    template <typename T, typename = std::enable_if_t<!std::is_void_v<T>>>
    bool trackFuture(const QFuture<T> &future, const QString &what,
                     FutureAtShutdown atShutdown = FutureAtShutdown::Await)
    {
        return trackFuture(QFuture<void>(future), what, atShutdown);
    }

    /// Where the program is in its life.
    State state() const;
    /// True from the moment a shutdown begins: state() is Stopping or Stopped.
    bool isShuttingDown() const;
    /// Thread-safe, and exact: the count now. The bindable property and
    /// activeSessionsChanged() follow in the manager's thread: at once for a
    /// change made there, in a later turn of its event loop for the others.
    int activeSessions() const;
    /// Services started and not yet stopped.
    int runningServices() const;
    /// Why the shutdown began ("SIGTERM", "requested", "application quit", or the reason
    /// given to requestShutdownWithReason()); empty before one.
    QString shutdownReason() const;
    /// Thread-safe. The phase the running shutdown is in, as /metrics names
    /// it: "announce", "lame_duck", "services", "sessions" or
    /// "late_services"; empty before and after one.
    QString shutdownPhase() const;
    /// Milliseconds left of the deadline while stopping (updated four times a
    /// second, for display), 0 after, -1 before.
    int remainingMs() const;
    /// Thread-safe. Running, and nothing holds readiness back: what systemd's
    /// READY=1 and a readiness probe report. False from the instant a
    /// shutdown begins, and from the instant a watched SIGINT/SIGTERM
    /// arrives, even while this manager's thread is busy.
    bool isReady() const;
    /// Holds readiness back while `what` is under way (start-up still
    /// loading, a reload that finishes later), until released by the same
    /// name. A reload that is done when the slots of reloadRequested() return
    /// needs no hold. False, with a warning, for an empty name or a release
    /// of nothing held. In the manager's thread.
    bool holdReadiness(const QString &what);
    /// Ends a holdReadiness() of the same name.
    bool releaseReadiness(const QString &what);
    /// A part of the reload in progress failed and kept its old
    /// configuration (in a slot of reloadRequested(), or before releasing
    /// the readiness held for it): `error` is logged as one warning, and the
    /// status sent to the service manager says it (with READY=1 when the
    /// reload ends) until the next reload. In the manager's thread.
    void reportReloadFailure(const QString &error);
    /// The shutdown's deadline: QDeadlineTimer::Forever until one begins.
    /// What code that must finish in time (a server's drain) works against.
    QDeadlineTimer shutdownDeadline() const;

    /// Read-only, for C++ property bindings, as QML binds.
    ///@{
    QBindable<State> bindableState();
    QBindable<bool> bindableShuttingDown();
    QBindable<int> bindableActiveSessions();
    QBindable<int> bindableRunningServices();
    QBindable<QString> bindableShutdownReason();
    QBindable<int> bindableRemainingMs();
    QBindable<bool> bindableReady();
    QBindable<bool> bindableSleeping();
    ///@}

    /// The last shutdown's report; invalid until one has finished.
    ShutdownReport report() const;

    /// The lifecycle's metrics, each described in the deployment guide:
    /// readiness, state, sessions, services with their restarts and
    /// failures, the last shutdown's phases, the version and the start
    /// time. Any thread, even while the manager's is blocked. HealthProbe
    /// serves them at /metrics with the graceful servers'; an exporter of
    /// the application's own appends them to its families (in OpenMetrics,
    /// before its "# EOF").
    QByteArray metrics(MetricsFormat format = MetricsFormat::Prometheus) const;

    /// The code the process should exit with, given what exec() returned:
    ///     return lifecycle.exitCode(app.exec());
    /// keeps the exit status and the report in agreement on every path, even
    /// a direct QCoreApplication::exit(0), which fixes exec()'s result before
    /// the shutdown has run. A nonzero code the application gave exit() wins.
    int exitCode(int execResult) const;

public Q_SLOTS:
    /// Thread-safe. Only the first call (or signal, or quit) starts a shutdown.
    void requestShutdown(int exitCode = 0);
    /// The "save now" step: emits saveRequested(mayAsk) and, with `mayAsk`,
    /// waits for the questions asked (holdSessionEnd()). False if the user
    /// cancelled (cancelSessionEnd()). followDesktopSession() calls it for a
    /// logout and for an application being suspended; a handler of your
    /// own may too. In the manager's thread.
    bool requestSave(bool mayAsk = false);

public:
    /// The same, with the reason that shutdownRequested() and the report carry.
    void requestShutdownWithReason(const QString &reason, int exitCode = 0);

    // Only the manager emits these: connect to them, never emit them. When a
    // change notification arrives, every property already has its new value.
Q_SIGNALS:
    /// A shutdown has begun, for `reason` (see shutdownReason()). Emitted
    /// before the session gate closes: a slot in the manager's thread may
    /// still start a session (a last save).
    void shutdownRequested(const QString &reason, QPrivateSignal);
    /// After the lame duck (at once without one): servers stop accepting and
    /// close their connections as they become idle. GracefulTcpServer drains
    /// on this.
    void drainStarted(QPrivateSignal);
    /// SIGHUP arrived (with watchSignals()): reload the configuration.
    /// Readiness is held back while the slots run.
    void reloadRequested(QPrivateSignal);
    /// Any watched signal arrived, before the manager acts on it.
    void signalReceived(int signalNumber, QPrivateSignal);
    /// Change notifications of the properties of the same names.
    ///@{
    void stateChanged(canstop::LifecycleManager::State state, QPrivateSignal);
    void shuttingDownChanged(bool shuttingDown, QPrivateSignal);
    void activeSessionsChanged(int activeSessions, QPrivateSignal);
    void runningServicesChanged(int runningServices, QPrivateSignal);
    void shutdownReasonChanged(const QString &reason, QPrivateSignal);
    void shutdownTimeoutChanged(int timeoutMs, QPrivateSignal);
    void remainingMsChanged(int remainingMs, QPrivateSignal);
    void autoExitChanged(bool autoExit, QPrivateSignal);
    void readyChanged(bool ready, QPrivateSignal);
    void sleepingChanged(bool sleeping, QPrivateSignal);
    ///@}
    /// The machine is about to sleep (useLogind()): pause what should not
    /// run across it; holdSleep() in a slot keeps the sleep waiting.
    void aboutToSleep(QPrivateSignal);
    /// The machine is awake again, after `sleptMs` suspended: reconnect
    /// what the sleep broke.
    void resumed(qint64 sleptMs, QPrivateSignal);
    /// Save now (requestSave()): the desktop session is ending (a logout),
    /// or the application is being suspended. Save, or holdShutdown() for a
    /// save that ends later (a shutdown that follows waits for it). With
    /// `mayAsk` the user may be asked about unsaved work (holdSessionEnd()),
    /// and may cancel the logout; without, save without asking.
    void saveRequested(bool mayAsk, QPrivateSignal);
    /// An upgrade() failed, for `why` (the new instance's exit code or
    /// signal, "not ready after N s", a program that cannot run); this
    /// instance serves on.
    void upgradeFailed(const QString &why, QPrivateSignal);
    /// The shutdown is over; `report` says how it went (also report()).
    /// With autoExit(), QCoreApplication::exit() follows.
    void shutdownFinished(const canstop::ShutdownReport &report, QPrivateSignal);

private:
    bool trackNetworkReply(QNetworkReply *reply); // in Canstop::Network

    template <typename T, typename = void> struct HasStop : std::false_type
    {
    };
    template <typename T>
    struct HasStop<T, std::void_t<decltype(std::declval<T &>().stop())>> : std::true_type
    {
    };

    Q_DECLARE_PRIVATE(LifecycleManager)
    std::unique_ptr<LifecycleManagerPrivate> d_ptr;
};

} // namespace canstop
