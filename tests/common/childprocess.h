// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// A program under test, run as a child process: started at once, killed if
// the test ends first, its output collected as it comes.

#include <QByteArray>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <unistd.h>

class ChildProcess
{
public:
    // `inChild` runs in the child between fork and exec (e.g. to place a
    // descriptor where the program expects one).
    ChildProcess(const QString &program, const QStringList &arguments,
                 const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                 const std::function<void()> &inChild = {})
    {
        m_process.setProcessEnvironment(environment);
        if (inChild)
            m_process.setChildProcessModifier(inChild);
        m_process.setProgram(program);
        m_process.setArguments(arguments);
        m_process.start();
        m_lastOutput.start();
    }

    ~ChildProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }

    // Until `text` appears in its output, it exits, or `timeoutMs` passes.
    bool waitForOutput(const QByteArray &text, int timeoutMs = 20000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!stdOut().contains(text) && !stdErr().contains(text)) {
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(100);
        }
        return true;
    }

    // The port in its line "<label> ADDRESS:PORT" ("listening on
    // 127.0.0.1:4711"), once it prints one; 0 if it never does.
    quint16 waitForPort(const QByteArray &label = "listening on")
    {
        if (!waitForOutput(label))
            return 0;
        const QRegularExpression line(QRegularExpression::escape(QString::fromLatin1(label)) +
                                      QStringLiteral(" [^:]+:(\\d+)"));
        return line.match(QString::fromLocal8Bit(stdErr() + '\n' + stdOut()))
            .captured(1)
            .toUShort();
    }

    // Without waiting: whether it has exited.
    bool hasExited()
    {
        return m_process.waitForFinished(0) || m_process.state() == QProcess::NotRunning;
    }

    void signal(int signalNumber)
    {
        // Never kill(0): a process that has ended has id 0, and 0 is our group.
        if (const qint64 pid = m_process.processId(); pid > 0)
            ::kill(static_cast<pid_t>(pid), signalNumber);
    }

    // Its exit code, or -1 if it did not exit normally in time.
    int waitForExit(int timeoutMs)
    {
        if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(timeoutMs))
            return -1;
        if (m_process.exitStatus() != QProcess::NormalExit)
            return -1;
        return m_process.exitCode();
    }

    QByteArray stdOut()
    {
        collect(m_out, m_process.readAllStandardOutput());
        return m_out;
    }

    QByteArray stdErr()
    {
        collect(m_err, m_process.readAllStandardError());
        return m_err;
    }

    // Milliseconds since it last wrote anything.
    qint64 elapsedSinceOutput()
    {
        stdOut();
        stdErr();
        return m_lastOutput.elapsed();
    }

    qint64 processId() const { return m_process.processId(); }

    // Until it writes more, or `timeoutMs` passes.
    bool waitForMoreOutput(int timeoutMs) { return m_process.waitForReadyRead(timeoutMs); }

    // Writes `data` to its standard input.
    bool write(const QByteArray &data)
    {
        return m_process.write(data) == data.size() && m_process.waitForBytesWritten(10000);
    }

    // Resident memory in KiB, from /proc.
    qint64 residentKiB() const
    {
        QFile status(QStringLiteral("/proc/%1/status").arg(processId()));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').first().toLongLong();
        }
        return -1;
    }

private:
    void collect(QByteArray &into, const QByteArray &more)
    {
        if (more.isEmpty())
            return;
        into += more;
        m_lastOutput.start();
    }

    QProcess m_process;
    QElapsedTimer m_lastOutput;
    QByteArray m_out;
    QByteArray m_err;
};

// For a child: places `fd` at descriptor 3, where a socket-activated program
// finds it, with nothing open above it, as systemd starts a service.
inline std::function<void()> atFd3(int fd)
{
    return [fd] {
        if (fd == 3)
            ::fcntl(3, F_SETFD, 0);
        else
            ::dup2(fd, 3);
        for (int other = 4; other < 1024; ++other)
            ::close(other);
    };
}
