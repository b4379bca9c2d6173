// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <memory>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// One upgrade's new instance, from its start to the word that it is ready:
// `program` runs with the listeners as systemd passes them (from fd 3,
// LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID) and a readiness channel after
// them (CANSTOP_UPGRADE_FD), and no other descriptor of this process. The
// child says READY on the channel; its exit, a failed exec or the timeout
// before that is a failure, and a child still running then is killed. One
// launch at a time. The new instance's side is tellReady().
class UpgradeLaunch : public QObject
{
    Q_OBJECT

public:
    struct Listener
    {
        int fd;
        QByteArray name; // as LISTEN_FDNAMES has it
    };

    explicit UpgradeLaunch(QObject *parent = nullptr);
    // Kills a child that has not said it is ready.
    ~UpgradeLaunch() override;

    // False with `why` when it cannot start (already launching, no channel,
    // fork failed). `environment` ("KEY=VALUE") replaces this process's
    // variables of the same names.
    bool start(const QString &program, const QStringList &arguments,
               const QList<Listener> &listeners, const QByteArrayList &environment,
               std::chrono::milliseconds timeout, QString *why);
    bool isLaunching() const { return m_pid > 0; }
    qint64 pid() const { return m_pid; }
    // Kills a child not yet ready, without a failed() (a shutdown began).
    void abandon();

    // The new instance's side: tells the instance that started it that this
    // one is ready, once. False when it was not started by an upgrade.
    static bool tellReady();
    // The process id of the instance that started this one, 0 if none did.
    static qint64 startedBy();

Q_SIGNALS:
    void ready(qint64 pid);
    void failed(const QString &why);

private:
    void readChannel();
    void reapIfExited();
    void fail(const QString &why);
    void end();

    qint64 m_pid = 0;
    int m_channel = -1;
    int m_pidFd = -1; // -1 where pidfd_open() is missing: then a poll
    int m_execErrno = 0;
    QByteArray m_received;
    std::chrono::milliseconds m_timeout{0};
    std::unique_ptr<QSocketNotifier> m_channelNotifier;
    std::unique_ptr<QSocketNotifier> m_exitNotifier;
    QTimer m_timer;    // the timeout
    QTimer m_exitPoll; // without a pidfd
    // Without a pidfd, how often a child's exit is looked for: an exit
    // found this late still fails the upgrade long before its timeout.
    static constexpr std::chrono::milliseconds ExitPoll{50};
};

} // namespace canstop
