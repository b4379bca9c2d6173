// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "logindlink_p.h"

#include "logging_p.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusUnixFileDescriptor>
#include <QDBusVariant>

#include <fcntl.h>
#include <unistd.h>

namespace canstop {

namespace {

const QString Service = QStringLiteral("org.freedesktop.login1");
const QString Path = QStringLiteral("/org/freedesktop/login1");
const QString Interface = QStringLiteral("org.freedesktop.login1.Manager");

int toMs(std::chrono::milliseconds duration)
{
    return static_cast<int>(duration.count());
}

QDBusMessage inhibit(const QString &who)
{
    QDBusMessage call =
        QDBusMessage::createMethodCall(Service, Path, Interface, QStringLiteral("Inhibit"));
    call << QStringLiteral("shutdown:sleep") << who
         << QStringLiteral("saves its work before the system shuts down or sleeps")
         << QStringLiteral("delay");
    return call;
}

} // namespace

struct LogindLink::Bus
{
    QDBusConnection connection;
};

LogindLink::LogindLink(QObject *parent) : QObject(parent)
{
    m_clampTimer.setSingleShot(true);
    m_clampTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_clampTimer, &QTimer::timeout, this, [this] {
        if (!isLocked())
            return;
        qCWarning(lcLogind, "letting logind's lock go: logind waits no longer than %d ms",
                  toMs(m_delayMax));
        unlock();
        Q_EMIT clampExpired();
    });
}

LogindLink::~LogindLink()
{
    unlock();
}

bool LogindLink::isOpen() const
{
    return m_bus != nullptr;
}

bool LogindLink::open(const QString &who)
{
    if (isOpen())
        return true;
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected()) {
        qCDebug(lcLogind, "logind not used: no system bus (%ls)",
                qUtf16Printable(bus.lastError().message()));
        return false;
    }
    QDBusMessage get = QDBusMessage::createMethodCall(
        Service, Path, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
    get << Interface << QStringLiteral("InhibitDelayMaxUSec");
    const QDBusMessage delay = bus.call(get, QDBus::Block, toMs(CallTimeout));
    if (delay.type() != QDBusMessage::ReplyMessage || delay.arguments().isEmpty()) {
        qCDebug(lcLogind, "logind not used: %ls", qUtf16Printable(delay.errorMessage()));
        return false;
    }
    const qulonglong delayUs =
        qvariant_cast<QDBusVariant>(delay.arguments().constFirst()).variant().toULongLong();
    const QDBusMessage reply = bus.call(inhibit(who), QDBus::Block, toMs(CallTimeout));
    if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty() ||
        !setLock(qvariant_cast<QDBusUnixFileDescriptor>(reply.arguments().constFirst())
                     .fileDescriptor())) {
        qCDebug(lcLogind, "logind not used: no delay lock (%ls)",
                qUtf16Printable(reply.errorMessage()));
        return false;
    }
    bus.connect(Service, Path, Interface, QStringLiteral("PrepareForShutdown"), this,
                SLOT(onPrepareForShutdown(bool)));
    bus.connect(Service, Path, Interface, QStringLiteral("PrepareForSleep"), this,
                SLOT(onPrepareForSleep(bool)));
    m_bus = std::make_unique<Bus>(Bus{bus});
    m_who = who;
    m_delayMax = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::microseconds(std::min<qulonglong>(delayUs, qulonglong(INT_MAX) * 1000)));
    qCInfo(lcLogind, "holding logind's delay lock for shutdown and sleep (it waits up to %d ms)",
           toMs(m_delayMax));
    return true;
}

std::chrono::milliseconds LogindLink::clamp() const
{
    return std::max(m_delayMax - LockMargin, std::chrono::milliseconds(0));
}

void LogindLink::unlock()
{
    m_clampTimer.stop();
    if (m_fd < 0)
        return;
    ::close(m_fd);
    m_fd = -1;
    qCDebug(lcLogind, "logind's lock let go");
}

void LogindLink::onPrepareForShutdown(bool start)
{
    if (!start) {
        qCInfo(lcLogind, "the system shutdown was cancelled");
        Q_EMIT shutdownCancelled();
        return;
    }
    qCInfo(lcLogind, "the system is shutting down");
    if (isLocked())
        m_clampTimer.start(clamp());
    Q_EMIT shutdownPrepared();
}

void LogindLink::onPrepareForSleep(bool start)
{
    if (start) {
        if (isLocked())
            m_clampTimer.start(clamp());
        Q_EMIT sleepPrepared();
        return;
    }
    m_clampTimer.stop();
    Q_EMIT resumed();
    if (!m_closing && !isLocked())
        lockAsync();
}

void LogindLink::lockAsync()
{
    auto *watcher = new QDBusPendingCallWatcher(
        m_bus->connection.asyncCall(inhibit(m_who), toMs(CallTimeout)), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher] {
        watcher->deleteLater();
        const QDBusMessage reply = watcher->reply();
        if (m_closing || isLocked())
            return;
        if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty() ||
            !setLock(qvariant_cast<QDBusUnixFileDescriptor>(reply.arguments().constFirst())
                         .fileDescriptor())) {
            qCWarning(lcLogind, "logind gave no new delay lock after the resume: %ls",
                      qUtf16Printable(reply.errorMessage()));
            return;
        }
        qCInfo(lcLogind, "holding logind's delay lock again");
    });
}

bool LogindLink::setLock(int fd)
{
    // Our own copy, close-on-exec: a child must never keep the lock alive.
    m_fd = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
    return m_fd >= 0;
}

} // namespace canstop
