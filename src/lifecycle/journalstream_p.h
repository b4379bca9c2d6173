// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace canstop {

// Whether standard error is a stream to the systemd journal, and the
// message pattern that lets journald tell the lines' levels apart. systemd
// names the stream it connects to standard error in JOURNAL_STREAM (device
// and inode, "DEV:INODE"); journald reads a "<N>" syslog priority at the
// start of each line (sd-daemon(3)), and takes a line without one as info.
class JournalStream
{
public:
    struct Id
    {
        quint64 device;
        quint64 inode;
        bool operator==(const Id &other) const
        {
            return device == other.device && inode == other.inode;
        }
        bool operator!=(const Id &other) const { return !(*this == other); }
    };
    // JOURNAL_STREAM's value: two decimal numbers and a colon, nothing else.
    static std::optional<Id> parse(const QByteArray &value);
    // The device and inode of the open file behind `fd`.
    static std::optional<Id> of(int fd);
    // Qt's pattern `pattern` with each level's priority before it: debug 7,
    // info 6, warning 4, critical 3, fatal 2.
    static QString withPriorities(const QString &pattern);
    // Once per process: when JOURNAL_STREAM names standard error, and
    // QT_MESSAGE_PATTERN (the user's own choice) is not set, gives Qt's
    // default message pattern the priorities. True when it did.
    static bool applyToStandardError();
};

} // namespace canstop
