// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// A real dbus-daemon of the test's own, on a socket in a temporary
// directory, that lets anyone own any name and call anything: what a
// program is given as its system bus (DBUS_SYSTEM_BUS_ADDRESS) to meet a
// fake logind. And that fake (tests/fakelogind), run as a child on it.

#include "childprocess.h"

#include <QFile>
#include <QTemporaryDir>

class PrivateBus
{
public:
    PrivateBus()
    {
        const QString config = m_dir.filePath(QStringLiteral("bus.conf"));
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly))
            return;
        file.write(QStringLiteral(R"(<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:dir=%1</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
)")
                       .arg(m_dir.path())
                       .toUtf8());
        file.close();
        m_daemon = std::make_unique<ChildProcess>(
            QStringLiteral("dbus-daemon"),
            QStringList{QStringLiteral("--nofork"), QStringLiteral("--print-address"),
                        QStringLiteral("--config-file=") + config});
        if (m_daemon->waitForOutput("unix:"))
            m_address = QString::fromUtf8(m_daemon->stdOut().trimmed());
    }

    // Empty if the daemon did not start.
    const QString &address() const { return m_address; }

    // The environment of a program whose system bus this is.
    QProcessEnvironment environment() const
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("DBUS_SYSTEM_BUS_ADDRESS"), m_address);
        return environment;
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ChildProcess> m_daemon;
    QString m_address;
};

// The fake logind on `bus`, ready once it prints "ready".
class FakeLogind : public ChildProcess
{
public:
    explicit FakeLogind(const PrivateBus &bus, const QStringList &arguments = {})
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_FAKE_LOGIND")), arguments,
                       bus.environment())
    {}

    // Emits PrepareForShutdown or PrepareForSleep: "shutdown",
    // "cancel-shutdown", "sleep", "resume".
    bool command(const QByteArray &line) { return write(line + '\n'); }

    // How many times `text` appears in its output so far.
    int count(const QByteArray &text) { return int(stdOut().count(text)); }
};
