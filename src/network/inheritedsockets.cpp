// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "inheritedsockets_p.h"

#include "environment_p.h"
#include "logging_p.h"

#include <QByteArrayList>
#include <QList>

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace canstop {

namespace {

constexpr int FirstFd = 3; // SD_LISTEN_FDS_START
// More than a process could be passed sensibly; a garbled count beyond it
// would have us adopt descriptors that are not ours.
constexpr int MaxFds = 4096;

// What each descriptor a service manager may have passed was when this
// library was loaded, before main(): a file, by device and inode, or
// nothing. By the time the application asks, it may have opened sockets of
// its own under the same numbers (a LISTEN_FDS larger than what was passed).
class AtStart
{
public:
    AtStart()
    {
        const char *fds = ::getenv("LISTEN_FDS"); // no Qt before main()
        const long count = fds ? std::strtol(fds, nullptr, 10) : 0;
        for (long i = 0; i < std::min<long>(count, MaxFds); ++i) {
            struct stat status
            {
            };
            if (::fstat(FirstFd + int(i), &status) == 0)
                m_files.push_back({FirstFd + int(i), status.st_dev, status.st_ino});
        }
    }
    // Whether `fd` is the file it was at start.
    bool isFromStart(int fd) const
    {
        struct stat status
        {
        };
        if (::fstat(fd, &status) != 0)
            return false;
        return std::any_of(m_files.cbegin(), m_files.cend(), [&](const File &file) {
            return file.fd == fd && file.device == status.st_dev && file.inode == status.st_ino;
        });
    }

private:
    struct File
    {
        int fd;
        dev_t device;
        ino_t inode;
    };
    std::vector<File> m_files;
};

const AtStart s_atStart;

struct Passed
{
    int fd;
    QByteArray name;
    bool taken = false;
};

} // namespace

QByteArrayList InheritedSockets::parse(const QByteArray &pid, const QByteArray &fds,
                                       const QByteArray &names, qint64 ownPid)
{
    bool ok = false;
    const qlonglong owner = pid.toLongLong(&ok);
    if (!ok || owner != ownPid) {
        qCWarning(lcNetwork,
                  "LISTEN_PID=\"%s\" is not this process (%lld): its LISTEN_FDS are not ours",
                  pid.constData(), static_cast<long long>(ownPid));
        return {};
    }
    const int count = fds.toInt(&ok);
    if (!ok || count < 0 || count > MaxFds) {
        qCWarning(lcNetwork, "LISTEN_FDS=\"%s\" is not a count of passed sockets", fds.constData());
        return {};
    }
    QByteArrayList nameList = names.split(':');
    if (names.isEmpty() || nameList.size() != count) {
        if (!names.isEmpty()) {
            qCWarning(lcNetwork, "LISTEN_FDNAMES=\"%s\" does not name %d socket(s): names ignored",
                      names.constData(), count);
        }
        nameList = QByteArrayList(count, QByteArrayLiteral("unknown"));
    }
    return nameList;
}

namespace {

// Reads the variables once; what is wrong is said once.
QList<Passed> readEnvironment()
{
    const QByteArray pid = takeEnvironment("LISTEN_PID").value_or(QByteArray());
    const std::optional<QByteArray> fds = takeEnvironment("LISTEN_FDS");
    const QByteArray names = takeEnvironment("LISTEN_FDNAMES").value_or(QByteArray());
    if (!fds)
        return {};
    const QByteArrayList nameList = InheritedSockets::parse(pid, *fds, names, ::getpid());
    const int count = int(nameList.size());
    QList<Passed> passed;
    int closed = 0;
    for (int i = 0; i < count; ++i) {
        const int fd = FirstFd + i;
        const int flags = ::fcntl(fd, F_GETFD);
        if (flags < 0 || !s_atStart.isFromStart(fd)) {
            ++closed;
            continue;
        }
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC); // children must not inherit it
        passed.append({fd, nameList.at(i)});
    }
    if (closed > 0) {
        qCWarning(lcNetwork,
                  "LISTEN_FDS=%d, but %d of those descriptors were not open when the program "
                  "started: not taken",
                  count, closed);
    }
    return passed;
}

const char *nameOf(InheritedSockets::Family family)
{
    return family == InheritedSockets::Family::Tcp ? "TCP" : "local";
}

bool isListener(int fd, InheritedSockets::Family family)
{
    struct stat status
    {
    };
    int type = 0;
    int listening = 0;
    sockaddr_storage address{};
    socklen_t size = sizeof type;
    if (::fstat(fd, &status) != 0 || !S_ISSOCK(status.st_mode) ||
        ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM)
        return false;
    size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) != 0)
        return false;
    const bool fits = family == InheritedSockets::Family::Tcp
                          ? address.ss_family == AF_INET || address.ss_family == AF_INET6
                          : address.ss_family == AF_UNIX;
    size = sizeof listening;
    return fits && ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 && listening;
}

std::mutex s_mutex;

// Read on first use, under s_mutex.
QList<Passed> &passedSockets()
{
    static QList<Passed> passed = readEnvironment();
    return passed;
}

} // namespace

int InheritedSockets::takeListenerAt(const QHostAddress &address, quint16 port)
{
    std::lock_guard lock(s_mutex);
    if (port == 0)
        return -1;
    for (Passed &socket : passedSockets()) {
        sockaddr_storage bound{};
        socklen_t size = sizeof bound;
        if (socket.taken || !isListener(socket.fd, Family::Tcp) ||
            ::getsockname(socket.fd, reinterpret_cast<sockaddr *>(&bound), &size) != 0)
            continue;
        const QHostAddress boundAddress(reinterpret_cast<const sockaddr *>(&bound));
        const quint16 boundPort =
            ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 &>(bound).sin6_port
                                              : reinterpret_cast<sockaddr_in &>(bound).sin_port);
        if (boundPort == port && address.isEqual(boundAddress, QHostAddress::TolerantConversion)) {
            socket.taken = true;
            return socket.fd;
        }
    }
    return -1;
}

int InheritedSockets::takeListener(Family family, const QString &name)
{
    static bool unfitNamed = false; // said once; the search without a name is then no news
    std::lock_guard lock(s_mutex);
    QList<Passed> &passed = passedSockets();
    const QByteArray wanted = name.toUtf8();
    for (Passed &socket : passed) {
        if (socket.taken || (!wanted.isEmpty() && socket.name != wanted))
            continue;
        if (!isListener(socket.fd, family)) {
            if (wanted.isEmpty())
                continue;
            qCWarning(lcNetwork,
                      "the socket named \"%s\" (descriptor %d) is not a listening %s "
                      "socket",
                      wanted.constData(), socket.fd, nameOf(family));
            unfitNamed = true;
            return -1;
        }
        socket.taken = true;
        return socket.fd;
    }
    // A name not passed is a question answered; nothing usable at all is news.
    if (wanted.isEmpty() && !passed.isEmpty() && !unfitNamed) {
        qCWarning(lcNetwork,
                  "none of the %lld socket(s) passed by the service manager is a "
                  "listening %s socket not yet taken",
                  static_cast<long long>(passed.size()), nameOf(family));
    }
    return -1;
}

} // namespace canstop
