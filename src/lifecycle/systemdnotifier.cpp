// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "systemdnotifier_p.h"

#include <canstop/shutdownreport.h>

#include "environment_p.h"
#include "logging_p.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace canstop {

std::optional<QByteArray> SystemdNotifier::notifyAddress(const QByteArray &where)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const bool abstract = where.startsWith('@');
    if (!abstract && !where.startsWith('/'))
        return std::nullopt;
    // A path needs its terminating NUL in sun_path; an abstract name does not.
    if (where.size() + (abstract ? 0 : 1) > qsizetype(sizeof address.sun_path))
        return std::nullopt;
    std::memcpy(address.sun_path, where.constData(), size_t(where.size()));
    if (abstract)
        address.sun_path[0] = '\0';
    const size_t length = offsetof(sockaddr_un, sun_path) + size_t(where.size());
    return QByteArray(reinterpret_cast<const char *>(&address), qsizetype(length));
}

std::optional<std::chrono::milliseconds>
SystemdNotifier::watchdogInterval(const std::optional<QByteArray> &usec,
                                  const std::optional<QByteArray> &pid)
{
    if (!usec)
        return std::nullopt;
    if (pid) {
        bool ok = false;
        const qlonglong owner = pid->toLongLong(&ok);
        if (!ok || owner <= 0) {
            qCWarning(lcSystemd, "WATCHDOG_PID=\"%s\" is not a process id: no watchdog pings",
                      pid->constData());
            return std::nullopt;
        }
        if (owner != ::getpid()) {
            qCWarning(lcSystemd,
                      "WATCHDOG_PID=%lld is another process (this is %lld): no watchdog pings",
                      owner, static_cast<long long>(::getpid()));
            return std::nullopt;
        }
    }
    bool ok = false;
    const qulonglong micros = usec->toULongLong(&ok);
    // Pinged at half the interval, by a QTimer counting in int milliseconds.
    if (!ok || micros < 2000 || micros / 2000 > qulonglong(INT_MAX)) {
        qCWarning(lcSystemd,
                  "WATCHDOG_USEC=\"%s\" is not an interval between 2 ms and %lld s: no watchdog "
                  "pings",
                  usec->constData(), 2LL * INT_MAX / 1000);
        return std::nullopt;
    }
    return std::chrono::milliseconds(micros / 2000);
}

namespace {

qint64 monotonicMicroseconds()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

QByteArray statusMessage(const QString &status)
{
    return "STATUS=" + status.toUtf8().replace('\n', ' ');
}

} // namespace

std::unique_ptr<SystemdNotifier> SystemdNotifier::fromEnvironment(std::function<QString()> status,
                                                                  QObject *parent)
{
    // All of them are unset, whatever they hold; only with a notify socket
    // do the others matter.
    const auto notifySocket = takeEnvironment("NOTIFY_SOCKET");
    const auto usec = takeEnvironment("WATCHDOG_USEC");
    const auto pid = takeEnvironment("WATCHDOG_PID");
    const auto store = takeEnvironment("FDSTORE"); // from systemd 254 on: how many it may store
    if (!notifySocket) {
        // Said, since trying systemd by hand is otherwise silent when it does
        // nothing (systemd-socket-activate passes NOTIFY_SOCKET only with -E).
        qCInfo(lcSystemd, "NOTIFY_SOCKET is not set: not under systemd's notify protocol, nothing "
                          "is sent to it");
        return nullptr;
    }
    const QByteArray &where = *notifySocket;
    if (where.startsWith("vsock:")) {
        qCDebug(lcSystemd, "NOTIFY_SOCKET=\"%s\": only AF_UNIX sockets are supported",
                where.constData());
        return nullptr;
    }
    const auto address = notifyAddress(where);
    if (!address) {
        qCWarning(lcSystemd,
                  "NOTIFY_SOCKET=\"%s\" is neither an absolute path nor an @abstract name that "
                  "fits a socket address: systemd will not be notified",
                  where.constData());
        return nullptr;
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        qCWarning(lcSystemd, "cannot notify systemd: socket() failed: %s", std::strerror(errno));
        return nullptr;
    }
    std::unique_ptr<SystemdNotifier> notifier(
        new SystemdNotifier(fd, *address, std::move(status), parent));
    if (store) {
        bool ok = false;
        notifier->m_storeOffered = store->toInt(&ok) > 0 && ok;
        if (!ok)
            qCWarning(lcSystemd, "FDSTORE=\"%s\" is not a count: nothing will be stored",
                      store->constData());
    }
    notifier->m_childEnvironment.append("NOTIFY_SOCKET=" + where);
    if (const auto watchdog = watchdogInterval(usec, pid)) {
        notifier->m_childEnvironment.append("WATCHDOG_USEC=" + *usec);
        notifier->m_watchdog.start(*watchdog);
        qCInfo(lcSystemd, "systemd watchdog: pinging every %lld ms",
               static_cast<long long>(watchdog->count()));
    }
    return notifier;
}

SystemdNotifier::SystemdNotifier(int fd, QByteArray address, std::function<QString()> status,
                                 QObject *parent)
    : QObject(parent), m_fd(fd), m_address(std::move(address)), m_status(std::move(status))
{
    connect(&m_watchdog, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
    m_statusTimer.setSingleShot(true);
    m_statusTimer.setInterval(StatusInterval);
    connect(&m_statusTimer, &QTimer::timeout, this, &SystemdNotifier::sendStatus);
    m_extendTimer.setInterval(ExtendBy / 3);
    connect(&m_extendTimer, &QTimer::timeout, this, &SystemdNotifier::extendIfMoving);
}

SystemdNotifier::~SystemdNotifier()
{
    ::close(m_fd);
}

bool SystemdNotifier::send(const QByteArray &message, int fd)
{
    if (m_handedOver)
        return false;
    iovec data{const_cast<char *>(message.constData()), size_t(message.size())};
    msghdr header{};
    header.msg_name = const_cast<char *>(m_address.constData());
    header.msg_namelen = socklen_t(m_address.size());
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        header.msg_control = control;
        header.msg_controllen = sizeof control;
        cmsghdr *rights = CMSG_FIRSTHDR(&header);
        rights->cmsg_level = SOL_SOCKET;
        rights->cmsg_type = SCM_RIGHTS;
        rights->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(rights), &fd, sizeof fd);
    }
    if (::sendmsg(m_fd, &header, MSG_NOSIGNAL) >= 0) {
        if (m_lostMessages > 0) {
            qCInfo(lcSystemd, "notifying systemd again, after %d lost message(s)", m_lostMessages);
            m_lostMessages = 0;
        }
        return true;
    }
    // Never blocks the loop: a full queue loses this message, not time. Said
    // once, as watchdog pings would say it every interval.
    if (m_lostMessages++ == 0) {
        const qsizetype lineEnd = message.indexOf('\n');
        qCWarning(lcSystemd,
                  "cannot notify systemd (%s): %s; messages lost from now on are counted, not "
                  "logged",
                  message.left(lineEnd < 0 ? message.size() : lineEnd).left(32).constData(),
                  std::strerror(errno));
    }
    return false;
}

void SystemdNotifier::sendStatus()
{
    const QByteArray status = statusMessage(m_status());
    if (status != m_lastStatus && send(status))
        m_lastStatus = status;
}

void SystemdNotifier::statusChanged()
{
    // At most one STATUS= a second: sessions may come and go by thousands.
    if (!m_statusTimer.isActive())
        m_statusTimer.start();
}

void SystemdNotifier::ready()
{
    m_lastStatus = statusMessage(m_status());
    send("READY=1\n" + m_lastStatus);
}

void SystemdNotifier::readinessChanged(bool isReady)
{
    if (isReady)
        ready();
    else
        statusChanged();
}

void SystemdNotifier::reloading()
{
    m_lastStatus = statusMessage(m_status());
    send("RELOADING=1\nMONOTONIC_USEC=" + QByteArray::number(monotonicMicroseconds()) + '\n' +
         m_lastStatus);
}

void SystemdNotifier::stopping(QDeadlineTimer deadline, const QString &status)
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_deadline = deadline;
    m_lastStatus = statusMessage(status);
    send("STOPPING=1\n" + m_lastStatus);
    m_extendTimer.start();
}

void SystemdNotifier::progress()
{
    if (m_stopping)
        m_moved = true;
}

void SystemdNotifier::extendIfMoving()
{
    const qint64 left = m_deadline.remainingTime();
    if (!m_moved || left <= 0)
        return;
    m_moved = false;
    const qint64 ms = std::min<qint64>(ExtendBy.count(), left);
    send("EXTEND_TIMEOUT_USEC=" + QByteArray::number(ms * 1000));
}

QByteArrayList SystemdNotifier::childEnvironment() const
{
    return m_childEnvironment;
}

void SystemdNotifier::handOver(qint64 pid)
{
    send("MAINPID=" + QByteArray::number(pid) + "\nSTATUS=upgraded: pid " +
         QByteArray::number(pid) + " serves now");
    m_handedOver = true;
    m_watchdog.stop();
    m_statusTimer.stop();
    m_extendTimer.stop();
}

bool SystemdNotifier::fitsFdName(const QString &name)
{
    return !name.isEmpty() && name.size() <= 255 &&
           std::all_of(name.cbegin(), name.cend(), [](QChar c) {
               return c.unicode() > 0x20 && c.unicode() < 0x7f && c != u':';
           });
}

bool SystemdNotifier::store(int fd, const QString &name)
{
    const bool nameFits = fitsFdName(name);
    if (!nameFits || fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
        qCWarning(lcSystemd, "storeFileDescriptor(%d, \"%ls\"): refused: %s", fd,
                  qUtf16Printable(name),
                  nameFits ? "the descriptor is not open"
                           : "a name is 1 to 255 printable ASCII characters, without "
                             "spaces or ':'");
        return false;
    }
    if (!m_storeOffered) {
        qCWarning(lcSystemd,
                  "not storing \"%ls\": the unit has no file descriptor store "
                  "(FDSTORE=0; set FileDescriptorStoreMax=)",
                  qUtf16Printable(name));
        return false;
    }
    return send("FDSTORE=1\nFDNAME=" + name.toUtf8(), fd);
}

void SystemdNotifier::finished(const ShutdownReport &report)
{
    m_extendTimer.stop();
    m_statusTimer.stop();
    send(statusMessage(report.summary()));
}

} // namespace canstop
