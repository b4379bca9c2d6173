// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The manager's upgrade face: the new instance launched with the shared
// listeners, the hand-over once it is ready, the PID file.
#include <canstop/lifecyclemanager.h>

#include "lifecyclemanager_p.h"
#include "logging_p.h"
#include "pidfile_p.h"
#include "signalbridge_p.h"

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

#include <climits>
#include <csignal>
#include <sys/socket.h>

namespace canstop {

namespace {

// The file the program was started as, as its argv[0] says: not
// /proc/self/exe, which names the running inode even once the file has
// been replaced, and resolves a symlink that a release switch may move.
QString startedAs()
{
    const QString first = QCoreApplication::arguments().value(0);
    if (first.contains(u'/'))
        return QDir::current().absoluteFilePath(first);
    if (QString found = QStandardPaths::findExecutable(first); !first.isEmpty() && !found.isEmpty())
        return found;
    return QCoreApplication::applicationFilePath();
}

bool isListening(int fd)
{
    int listening = 0;
    socklen_t size = sizeof listening;
    return fd >= 0 && ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 &&
           listening != 0;
}

} // namespace

void LifecycleManagerPrivate::setUpUpgrades()
{
    Q_Q(LifecycleManager);
    program = startedAs();
    QObject::connect(&upgradeLaunch, &UpgradeLaunch::ready, q,
                     [this](qint64 pid) { handOver(pid); });
    QObject::connect(&upgradeLaunch, &UpgradeLaunch::failed, q, [q](const QString &why) {
        qCWarning(lcLifecycle, "upgrade failed: %ls; serving on", qUtf16Printable(why));
        Q_EMIT q->upgradeFailed(why, {});
    });
}

QList<UpgradeLaunch::Listener> LifecycleManagerPrivate::sharedListeners() const
{
    QList<UpgradeLaunch::Listener> live;
    for (const SharedListener &listener : listeners)
        if (listener.owner && isListening(listener.fd))
            live.append({listener.fd, listener.name.toLatin1()});
    return live;
}

// The new instance is ready: it is the service from now on, and this one
// drains what it has, at once (no lame duck: the service does not go away).
void LifecycleManagerPrivate::handOver(qint64 pid)
{
    qCInfo(lcLifecycle, "upgrade: pid %lld is ready and serves; draining for it",
           static_cast<long long>(pid));
    handingOver = true;
    if (systemd)
        systemd->handOver(pid);
    sequence.setLameDuck(std::chrono::milliseconds(0));
    request(0, QStringLiteral("upgrade: pid %1 took over").arg(pid));
}

void LifecycleManagerPrivate::onReadyChanged(bool ready)
{
    if (!ready)
        return;
    if (!pidFile.isEmpty() && !pidFileWritten)
        pidFileWritten = PidFile::write(pidFile, QCoreApplication::applicationPid());
    if (UpgradeLaunch::tellReady())
        qCInfo(lcLifecycle, "upgrade: told pid %lld that this instance is ready",
               static_cast<long long>(UpgradeLaunch::startedBy()));
}

bool LifecycleManager::upgrade()
{
    Q_D(LifecycleManager);
    Q_ASSERT_X(d->isInManagerThread(), "LifecycleManager::upgrade", "wrong thread");
    if (d->inert)
        return false;
    QString refusal;
    if (d->shutdownBegun()) {
        refusal = QStringLiteral("the shutdown has begun");
    } else if (QCoreApplication::applicationPid() == 1) {
        refusal = QStringLiteral("this process is PID 1 (a container's init), whose exit ends the "
                                 "container; run it under a small init such as tini");
    } else if (!d->upgradeLaunch.start(
                   d->program, QCoreApplication::arguments().mid(1), d->sharedListeners(),
                   d->systemd ? d->systemd->childEnvironment() : QByteArrayList(),
                   d->upgradeTimeout, &refusal)) {
    } else {
        return true;
    }
    qCWarning(lcLifecycle, "upgrade refused: %ls", qUtf16Printable(refusal));
    return false;
}

bool LifecycleManager::setUpgradeTimeout(std::chrono::milliseconds timeout)
{
    Q_D(LifecycleManager);
    if (timeout.count() <= 0 || timeout.count() > INT_MAX) {
        qCWarning(lcLifecycle, "setUpgradeTimeout(%lld ms): refused: it is 1 to %d ms",
                  static_cast<long long>(timeout.count()), INT_MAX);
        return false;
    }
    d->upgradeTimeout = timeout;
    return true;
}

std::chrono::milliseconds LifecycleManager::upgradeTimeout() const
{
    return d_func()->upgradeTimeout;
}

bool LifecycleManager::upgradeOnSignal()
{
    return upgradeOnSignal(SIGUSR2);
}

bool LifecycleManager::upgradeOnSignal(int signalNumber)
{
    Q_D(LifecycleManager);
    QString refusal = SignalBridge::refusal(signalNumber);
    if (refusal.isEmpty() &&
        (signalNumber == SIGINT || signalNumber == SIGTERM || signalNumber == SIGHUP))
        refusal = QStringLiteral("%1 already means a shutdown or a reload")
                      .arg(SignalBridge::signalName(signalNumber));
    if (!refusal.isEmpty()) {
        qCWarning(lcSignals, "upgradeOnSignal(%d): refused: %ls", signalNumber,
                  qUtf16Printable(refusal));
        return false;
    }
    d->upgradeSignal = signalNumber;
    return true;
}

bool LifecycleManager::shareListener(QObject *owner, int fd, const QString &name)
{
    Q_D(LifecycleManager);
    if (!owner || !isListening(fd) || !SystemdNotifier::fitsFdName(name)) {
        qCWarning(lcLifecycle, "shareListener(%d, \"%ls\"): refused: %s", fd, qUtf16Printable(name),
                  !owner             ? "no owner"
                  : !isListening(fd) ? "not a listening socket"
                                     : "a name is 1 to 255 printable ASCII characters, without "
                                       "spaces or ':'");
        return false;
    }
    auto &listeners = d->listeners;
    listeners.erase(std::remove_if(listeners.begin(), listeners.end(),
                                   [owner](const auto &listener) {
                                       return !listener.owner || listener.owner == owner;
                                   }),
                    listeners.end());
    listeners.push_back({owner, fd, name});
    return true;
}

bool LifecycleManager::isHandingOver() const
{
    return d_func()->handingOver;
}

qint64 LifecycleManager::upgradedFrom()
{
    return UpgradeLaunch::startedBy();
}

bool LifecycleManager::setPidFile(const QString &path)
{
    Q_D(LifecycleManager);
    if (path.isEmpty() || d->readiness.isReady() || d->shutdownBegun()) {
        qCWarning(lcLifecycle, "setPidFile(\"%ls\"): refused: %s", qUtf16Printable(path),
                  path.isEmpty() ? "the path is empty" : "the program is ready already");
        return false;
    }
    d->pidFile = path;
    return true;
}

} // namespace canstop
