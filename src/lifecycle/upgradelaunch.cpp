// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "upgradelaunch_p.h"

#include "logging_p.h"

#include <QFile>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX names it only here

namespace canstop {

namespace {

constexpr int FirstFd = 3; // SD_LISTEN_FDS_START
constexpr char ChannelVariable[] = "CANSTOP_UPGRADE_FD";
constexpr char ReadyWord[] = "READY\n";

// The new instance's end of the channel and the pid of the instance that
// started it, taken before main(): the variable must not reach this
// instance's own children, and the descriptor closes on their exec.
struct Channel
{
    int fd = -1;
    qint64 startedBy = 0;

    Channel()
    {
        const char *value = ::getenv(ChannelVariable); // no Qt before main()
        if (!value)
            return;
        char *end = nullptr;
        const long number = std::strtol(value, &end, 10);
        struct stat status
        {
        };
        ::unsetenv(ChannelVariable);
        if (end == value || *end != '\0' || number < FirstFd || number > INT_MAX ||
            ::fstat(int(number), &status) != 0 || !S_ISSOCK(status.st_mode))
            return;
        fd = int(number);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        startedBy = ::getppid();
    }
};

Channel s_channel;

int openPidFd(pid_t pid)
{
#if defined(SYS_pidfd_open)
    return int(::syscall(SYS_pidfd_open, pid, 0));
#else
    Q_UNUSED(pid);
    errno = ENOSYS;
    return -1;
#endif
}

// In the child between fork() and exec(): async-signal-safe calls only.
// Closes [lowest, highest]; with `highest` -1, every descriptor from
// `lowest` on, up to `loopLimit` where close_range() is missing.
void closeRange(int lowest, int highest, int loopLimit = 0)
{
    if (highest >= 0 && lowest > highest)
        return;
#if defined(SYS_close_range)
    if (::syscall(SYS_close_range, unsigned(lowest), highest < 0 ? ~0U : unsigned(highest), 0U) ==
        0)
        return;
#endif
    for (int fd = lowest; fd <= (highest < 0 ? loopLimit : highest); ++fd)
        ::close(fd);
}

void writeDecimal(char *at, long value, int width)
{
    for (int i = width - 1; i >= 0; --i) {
        at[i] = char('0' + value % 10);
        value /= 10;
    }
}

bool isOurs(const char *entry)
{
    for (const char *name :
         {"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "CANSTOP_UPGRADE_FD="})
        if (std::strncmp(entry, name, std::strlen(name)) == 0)
            return true;
    return false;
}

} // namespace

UpgradeLaunch::UpgradeLaunch(QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("not ready after %1 s").arg(double(m_timeout.count()) / 1000.0));
    });
    connect(&m_exitPoll, &QTimer::timeout, this, &UpgradeLaunch::reapIfExited);
}

UpgradeLaunch::~UpgradeLaunch()
{
    abandon();
}

bool UpgradeLaunch::start(const QString &program, const QStringList &arguments,
                          const QList<Listener> &listeners, const QByteArrayList &environment,
                          std::chrono::milliseconds timeout, QString *why)
{
    if (isLaunching()) {
        *why = QStringLiteral("an upgrade is already under way (pid %1)").arg(m_pid);
        return false;
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) {
        *why =
            QStringLiteral("no readiness channel: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    const int count = int(listeners.size());
    const int channelFd = FirstFd + count;

    // Everything the child needs, made before fork(): after it, only
    // async-signal-safe calls.
    const QByteArray path = QFile::encodeName(program);
    QByteArrayList argumentBytes{path};
    for (const QString &argument : arguments)
        argumentBytes.append(argument.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &argument : argumentBytes)
        argv.push_back(argument.data());
    argv.push_back(nullptr);

    QByteArrayList names;
    for (const Listener &listener : listeners)
        names.append(listener.name);
    QByteArrayList environmentBytes;
    const auto replaced = [&environment](const char *entry) {
        const char *equals = std::strchr(entry, '=');
        const qsizetype length = equals ? equals - entry + 1 : qsizetype(std::strlen(entry));
        return std::any_of(environment.cbegin(), environment.cend(), [&](const QByteArray &own) {
            return own.startsWith(QByteArray::fromRawData(entry, length));
        });
    };
    for (char **entry = environ; *entry; ++entry)
        if (!isOurs(*entry) && !replaced(*entry))
            environmentBytes.append(QByteArray(*entry));
    environmentBytes += environment;
    if (count > 0) {
        environmentBytes.append("LISTEN_FDS=" + QByteArray::number(count));
        environmentBytes.append("LISTEN_FDNAMES=" + names.join(':'));
    }
    environmentBytes.append(QByteArray(ChannelVariable) + '=' + QByteArray::number(channelFd));
    constexpr int PidWidth = 10; // zero-padded: the child writes its pid in place
    QByteArray listenPid = "LISTEN_PID=" + QByteArray(PidWidth, '0');
    std::vector<char *> envp;
    for (QByteArray &entry : environmentBytes)
        envp.push_back(entry.data());
    char *pidDigits = nullptr;
    if (count > 0) {
        envp.push_back(listenPid.data());
        pidDigits = listenPid.data() + listenPid.size() - PidWidth;
    }
    envp.push_back(nullptr);

    std::vector<int> sources;
    for (const Listener &listener : listeners)
        sources.push_back(listener.fd);
    sources.push_back(pair[1]);
    std::vector<int> kept = sources; // ascending, for closing what lies between
    std::sort(kept.begin(), kept.end());
    rlimit files{};
    // Where close_range() is missing, what a loop closes.
    const int highestFd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536
                              ? int(files.rlim_cur) - 1
                              : 65535;

    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(pair[0]);
        ::close(pair[1]);
        *why = QStringLiteral("cannot fork: %1").arg(QString::fromLocal8Bit(strerror(error)));
        return false;
    }
    if (pid == 0) {
        // Nothing but the sources stays open, inheritable or not; that
        // frees room too, for a process at its descriptor limit. Then each
        // goes above every target, so that no dup2() overwrites a source.
        int from = FirstFd;
        for (const int fd : kept) {
            closeRange(from, fd - 1);
            from = fd + 1;
        }
        closeRange(from, -1, highestFd);
        const int high = channelFd + 1;
        for (int &source : sources)
            source = ::fcntl(source, F_DUPFD_CLOEXEC, high);
        for (size_t i = 0; i < sources.size(); ++i)
            ::dup2(sources[i], FirstFd + int(i)); // dup2() clears close-on-exec
        closeRange(high, -1, highestFd);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (pidDigits)
            writeDecimal(pidDigits, long(::getpid()), PidWidth);
        ::execve(argv[0], argv.data(), envp.data());
        char message[32] = "EXEC ";
        const int error = errno;
        writeDecimal(message + 5, error, 4);
        message[9] = '\n';
        [[maybe_unused]] const ssize_t sent = ::write(channelFd, message, 10);
        ::_exit(127);
    }
    ::close(pair[1]);
    m_pid = pid;
    m_channel = pair[0];
    m_execErrno = 0;
    m_received.clear();
    m_timeout = timeout;
    m_channelNotifier = std::make_unique<QSocketNotifier>(m_channel, QSocketNotifier::Read);
    connect(m_channelNotifier.get(), &QSocketNotifier::activated, this,
            &UpgradeLaunch::readChannel);
    m_pidFd = openPidFd(pid);
    if (m_pidFd >= 0) {
        ::fcntl(m_pidFd, F_SETFD, FD_CLOEXEC);
        m_exitNotifier = std::make_unique<QSocketNotifier>(m_pidFd, QSocketNotifier::Read);
        connect(m_exitNotifier.get(), &QSocketNotifier::activated, this,
                &UpgradeLaunch::reapIfExited);
    } else {
        m_exitPoll.start(ExitPoll);
    }
    m_timer.start(timeout);
    qCInfo(lcLifecycle, "upgrade: started %ls as pid %lld with %d listener(s)",
           qUtf16Printable(program), static_cast<long long>(pid), count);
    return true;
}

void UpgradeLaunch::readChannel()
{
    char buffer[64];
    for (;;) {
        const ssize_t got = ::recv(m_channel, buffer, sizeof buffer, 0);
        if (got > 0) {
            m_received.append(buffer, got);
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0) // the child closed it; its exit (or the timeout) decides
            m_channelNotifier->setEnabled(false);
        break;
    }
    while (m_received.contains('\n')) {
        const qsizetype lineEnd = m_received.indexOf('\n');
        const QByteArray line = m_received.left(lineEnd);
        m_received.remove(0, lineEnd + 1);
        if (line == "READY") {
            const qint64 pid = std::exchange(m_pid, 0); // its own from now on
            end();
            Q_EMIT ready(pid);
            return;
        }
        if (line.startsWith("EXEC "))
            m_execErrno = line.mid(5).toInt();
    }
}

void UpgradeLaunch::reapIfExited()
{
    int status = 0;
    const pid_t got = ::waitpid(pid_t(m_pid), &status, WNOHANG);
    if (got == 0 || (got < 0 && errno == EINTR))
        return;
    readChannel(); // a READY that came just before the exit still counts
    if (!isLaunching())
        return;
    m_pid = 0; // reaped: nothing to kill
    if (m_execErrno != 0)
        fail(QStringLiteral("cannot run the program: %1")
                 .arg(QString::fromLocal8Bit(strerror(m_execErrno))));
    else if (got > 0 && WIFSIGNALED(status))
        fail(QStringLiteral("it was killed by signal %1 (%2) before it was ready")
                 .arg(WTERMSIG(status))
                 .arg(QString::fromLocal8Bit(strsignal(WTERMSIG(status)))));
    else if (got > 0)
        fail(QStringLiteral("it exited with code %1 before it was ready").arg(WEXITSTATUS(status)));
    else
        fail(QStringLiteral("it ended before it was ready"));
}

void UpgradeLaunch::fail(const QString &why)
{
    abandon();
    Q_EMIT failed(why);
}

void UpgradeLaunch::abandon()
{
    if (m_pid > 0) {
        // Not ready: it has no part in this process's future.
        ::kill(pid_t(m_pid), SIGKILL);
        while (::waitpid(pid_t(m_pid), nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    end();
}

void UpgradeLaunch::end()
{
    m_timer.stop();
    m_exitPoll.stop();
    // Possibly in their own activated(): deleted once that has returned.
    for (auto *notifier : {&m_channelNotifier, &m_exitNotifier}) {
        if (*notifier) {
            (*notifier)->setEnabled(false);
            notifier->release()->deleteLater();
        }
    }
    if (m_channel >= 0)
        ::close(m_channel);
    if (m_pidFd >= 0)
        ::close(m_pidFd);
    m_channel = m_pidFd = -1;
    m_pid = 0;
}

bool UpgradeLaunch::tellReady()
{
    const int fd = std::exchange(s_channel.fd, -1);
    if (fd < 0)
        return false;
    const ssize_t sent = ::send(fd, ReadyWord, sizeof ReadyWord - 1, MSG_NOSIGNAL);
    ::close(fd);
    if (sent != ssize_t(sizeof ReadyWord - 1)) {
        qCWarning(lcLifecycle, "upgrade: could not tell pid %lld that this instance is ready",
                  static_cast<long long>(s_channel.startedBy));
        return false;
    }
    return true;
}

qint64 UpgradeLaunch::startedBy()
{
    return s_channel.startedBy;
}

} // namespace canstop
