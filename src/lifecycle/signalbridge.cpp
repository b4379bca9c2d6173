// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "signalbridge_p.h"

#include "hardstop_p.h"
#include "logging_p.h"

#include <QSocketNotifier>
#include <QString>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

namespace {

// Everything the handler touches: lock-free atomics only.
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");
std::atomic<int> s_pending[NSIG];
std::atomic<int> s_writeFd{-1};

// Owned by the thread that installed the bridge; never read by the handler.
SignalBridge *s_installed = nullptr;
struct sigaction s_previous[NSIG];

extern "C" void canstopSignalHandler(int signalNumber)
{
    const int savedErrno = errno;
    if (signalNumber == SIGINT || signalNumber == SIGTERM)
        HardStop::signalArrived(signalNumber); // it acts even if the main thread cannot
    if (signalNumber > 0 && signalNumber < NSIG)
        s_pending[signalNumber].store(1, std::memory_order_relaxed);
    const char byte = 0;
    // A full socket already holds a wake-up byte: EAGAIN loses nothing.
    [[maybe_unused]] const ssize_t written =
        ::write(s_writeFd.load(std::memory_order_acquire), &byte, 1);
    errno = savedErrno;
}

bool makeSocketPair(int fds[2])
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0;
#else
    // macOS has neither flag: set both with fcntl.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return false;
    for (int i = 0; i < 2; ++i) {
        if (::fcntl(fds[i], F_SETFL, ::fcntl(fds[i], F_GETFL) | O_NONBLOCK) != 0 ||
            ::fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            const int savedErrno = errno;
            ::close(fds[0]);
            ::close(fds[1]);
            errno = savedErrno;
            return false;
        }
    }
    return true;
#endif
}

} // namespace

SignalBridge::SignalBridge(QObject *parent) : QObject(parent) {}

SignalBridge::~SignalBridge()
{
    uninstall();
}

QString SignalBridge::signalName(int signalNumber)
{
    switch (signalNumber) {
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGHUP:
        return QStringLiteral("SIGHUP");
    case SIGQUIT:
        return QStringLiteral("SIGQUIT");
    case SIGUSR1:
        return QStringLiteral("SIGUSR1");
    case SIGUSR2:
        return QStringLiteral("SIGUSR2");
    case SIGPIPE:
        return QStringLiteral("SIGPIPE");
    case SIGALRM:
        return QStringLiteral("SIGALRM");
    case SIGCHLD:
        return QStringLiteral("SIGCHLD");
    case SIGWINCH:
        return QStringLiteral("SIGWINCH");
    default:
        return QStringLiteral("signal %1").arg(signalNumber);
    }
}

QString SignalBridge::refusal(int signalNumber)
{
    if (signalNumber <= 0 || signalNumber >= NSIG)
        return QStringLiteral("%1 is not a signal number").arg(signalNumber);
    switch (signalNumber) {
    case SIGKILL:
    case SIGSTOP:
        return QStringLiteral("%1 cannot be caught").arg(signalName(signalNumber));
    case SIGSEGV:
    case SIGBUS:
    case SIGABRT:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
        // After a crash the event loop must not be trusted to run again.
        return QStringLiteral("%1 is a crash signal; it is never deferred to the event loop")
            .arg(signalName(signalNumber));
    default:
        return {};
    }
}

bool SignalBridge::install(const QList<int> &signalNumbers)
{
    if (s_installed) {
        qCWarning(lcSignals, "signals are already watched by another manager in this process");
        return false;
    }
    if (signalNumbers.isEmpty()) {
        qCWarning(lcSignals, "watchSignals() was given no signals to watch");
        return false;
    }
    for (const int signalNumber : signalNumbers) {
        const QString why = refusal(signalNumber);
        if (!why.isEmpty()) {
            qCWarning(lcSignals, "cannot watch signals: %ls", qUtf16Printable(why));
            return false;
        }
    }

    int fds[2];
    if (!makeSocketPair(fds)) {
        qCWarning(lcSignals, "cannot watch signals: socketpair() failed: %s", std::strerror(errno));
        return false;
    }
    m_readFd = fds[0];
    m_writeFd = fds[1];
    for (auto &pending : s_pending)
        pending.store(0, std::memory_order_relaxed);
    s_writeFd.store(m_writeFd, std::memory_order_release);
    s_installed = this;

    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = canstopSignalHandler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int signalNumber : signalNumbers) {
        if (m_signals.contains(signalNumber))
            continue;
        if (::sigaction(signalNumber, &action, &s_previous[signalNumber]) != 0) {
            const int savedErrno = errno;
            uninstall();
            qCWarning(lcSignals, "cannot watch %ls: sigaction() failed: %s",
                      qUtf16Printable(signalName(signalNumber)), std::strerror(savedErrno));
            return false;
        }
        m_signals.append(signalNumber);
    }

    m_notifier = std::make_unique<QSocketNotifier>(m_readFd, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &SignalBridge::drain);
    return true;
}

void SignalBridge::uninstall()
{
    if (s_installed != this)
        return;
    for (const int signalNumber : std::as_const(m_signals))
        ::sigaction(signalNumber, &s_previous[signalNumber], nullptr);
    m_signals.clear();
    m_notifier.reset();
    // The handlers are gone, so only a handler that was already running can
    // still see this descriptor; -1 makes any later write fail harmlessly.
    s_writeFd.store(-1, std::memory_order_release);
    ::close(m_readFd);
    ::close(m_writeFd);
    m_readFd = m_writeFd = -1;
    s_installed = nullptr;
}

void SignalBridge::drain()
{
    char buffer[64];
    while (::read(m_readFd, buffer, sizeof buffer) > 0) {
    }
    // A signal that lands after its flag is cleared writes a new byte, so
    // the notifier fires again: nothing is lost, bursts are coalesced.
    for (int signalNumber = 1; signalNumber < NSIG; ++signalNumber) {
        if (s_pending[signalNumber].exchange(0, std::memory_order_relaxed))
            Q_EMIT signalCaught(signalNumber);
    }
}

} // namespace canstop
