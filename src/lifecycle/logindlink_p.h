// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QObject>
#include <QTimer>

#include <chrono>
#include <memory>

namespace canstop {

// systemd-logind's side of a system shutdown and of sleep, over the system
// bus (org.freedesktop.login1(5)): a delay inhibitor lock for both, taken
// by open() and again after each resume, and let go (its descriptor
// closed) by unlock() or, at the latest, at the clamp: LockMargin before
// logind stops waiting (its InhibitDelayMaxUSec after announcing). Never a
// block lock; the descriptor is close-on-exec. logind's announcements
// become signals. Lives in the manager's thread.
class LogindLink : public QObject
{
    Q_OBJECT

public:
    // The lock is let go this long before logind would stop waiting: logind
    // counts from its announcement, which reaches us a little later.
    static constexpr std::chrono::milliseconds LockMargin{250};
    // A system bus that does not answer Inhibit() within this is no logind
    // to wait for at start.
    static constexpr std::chrono::milliseconds CallTimeout{5000};

    explicit LogindLink(QObject *parent = nullptr);
    ~LogindLink() override; // the lock goes with it

    // Takes the lock for `who` and listens; false with one debug line when
    // there is no system bus or logind, or logind refuses the lock.
    bool open(const QString &who);
    bool isOpen() const;
    bool isLocked() const { return m_fd >= 0; }
    // How long after an announcement the lock may be held.
    std::chrono::milliseconds clamp() const;
    // Lets the lock go (closes its descriptor); nothing if none is held.
    void unlock();
    // No new lock after a resume: the program is ending.
    void closing() { m_closing = true; }

Q_SIGNALS:
    void shutdownPrepared();  // PrepareForShutdown(true)
    void shutdownCancelled(); // PrepareForShutdown(false)
    void sleepPrepared();     // PrepareForSleep(true)
    void resumed();           // PrepareForSleep(false)
    // The lock was let go at the clamp, not by unlock().
    void clampExpired();

private Q_SLOTS:
    // Connected by name: Qt D-Bus has no other way to a bus signal.
    void onPrepareForShutdown(bool start);
    void onPrepareForSleep(bool start);

private:
    void lockAsync();
    bool setLock(int fd);

    struct Bus;
    std::unique_ptr<Bus> m_bus;
    QString m_who;
    std::chrono::milliseconds m_delayMax{0};
    int m_fd = -1;
    bool m_closing = false;
    QTimer m_clampTimer;
};

} // namespace canstop
