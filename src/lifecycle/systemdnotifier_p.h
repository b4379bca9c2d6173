// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QDeadlineTimer>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace canstop {

class ShutdownReport;

// The service manager's side of the sd_notify(3) protocol, without
// libsystemd: datagrams of KEY=VALUE lines to the AF_UNIX socket named by
// NOTIFY_SOCKET, and WATCHDOG=1 at half of WATCHDOG_USEC, sent from the
// event loop of the thread it lives in so that a stalled loop stops them.
// The manager tells it what happens; it decides what systemd hears.
class SystemdNotifier : public QObject
{
    Q_OBJECT

public:
    // Reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Null
    // when there is no usable notify socket (a garbled one is warned about).
    // `status` describes the program in one line, for STATUS=.
    static std::unique_ptr<SystemdNotifier> fromEnvironment(std::function<QString()> status,
                                                            QObject *parent);
    ~SystemdNotifier() override;

    // Drain progress keeps the stop timeout from running out, but never
    // past `deadline`; a drain that moves nothing for ExtendBy is left to it.
    static constexpr std::chrono::milliseconds ExtendBy{3000};
    static constexpr std::chrono::milliseconds StatusInterval{1000};

    void ready();
    // READY=1 when it is up; the status line otherwise.
    void readinessChanged(bool ready);
    void reloading();
    // Before the sequence has begun, so with the status line to say.
    void stopping(QDeadlineTimer deadline, const QString &status);
    void progress();
    void statusChanged();
    void finished(const ShutdownReport &report);
    // The parsers of what systemd passes, for fromEnvironment() and the fuzzer:
    // NOTIFY_SOCKET's address, of exactly its length (an abstract name padded
    // to sizeof(sockaddr_un) would be another name, reaching nobody); none
    // unless an absolute path or an @abstract name that fits.
    static std::optional<QByteArray> notifyAddress(const QByteArray &where);
    // Half of WATCHDOG_USEC, when the watchdog is meant for this process;
    // none, with one warning for what is garbled.
    static std::optional<std::chrono::milliseconds>
    watchdogInterval(const std::optional<QByteArray> &usec, const std::optional<QByteArray> &pid);

    // The variables a new instance of an upgrade needs to notify systemd
    // itself, as this process was given them ("KEY=VALUE").
    QByteArrayList childEnvironment() const;
    // An upgrade's new instance `pid` is the unit's main process from now
    // on (MAINPID=); this process says nothing more, since systemd would
    // take it for the service's (STOPPING=1, STATUS=, WATCHDOG=1).
    void handOver(qint64 pid);
    // A name systemd accepts for a passed descriptor (FDNAME=, LISTEN_FDNAMES).
    static bool fitsFdName(const QString &name);

    // FDSTORE=1: systemd keeps a duplicate of `fd` for the next start;
    // false with one warning for a closed `fd` or a name systemd refuses.
    bool store(int fd, const QString &name);

private:
    SystemdNotifier(int fd, QByteArray address, std::function<QString()> status, QObject *parent);
    bool send(const QByteArray &message, int fd = -1);
    void sendStatus();
    void extendIfMoving();

    int m_fd;
    QByteArray m_address; // sockaddr_un bytes, of exactly the right length
    std::function<QString()> m_status;
    QTimer m_watchdog;
    QTimer m_statusTimer; // coalesces status changes
    QTimer m_extendTimer;
    QDeadlineTimer m_deadline;
    QByteArray m_lastStatus;
    bool m_moved = false;
    bool m_stopping = false;
    bool m_handedOver = false;
    QByteArrayList m_childEnvironment;
    bool m_storeOffered = true; // unknown before systemd 254: offered
    int m_lostMessages = 0;     // since the last one that went
};

} // namespace canstop
