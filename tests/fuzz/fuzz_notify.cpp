// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The parsers of the lifecycle library's environment: fields separated by
// NUL bytes, NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID,
// CANSTOP_EVENT_DISPATCHER, then JOURNAL_STREAM (a missing field is an unset
// variable). An address is exactly the name's length and fits a
// sockaddr_un; an interval is one a QTimer can run; a dispatcher is chosen
// by its two words only; a journal stream is two decimal numbers and a colon.
#include "eventdispatcher_p.h"
#include "journalstream_p.h"
#include "systemdnotifier_p.h"

#include <QByteArray>
#include <QLoggingCategory>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sys/socket.h>
#include <sys/un.h>

using canstop::SystemdNotifier;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // Each garbled value is warned about; a million warnings only slow it down.
    QLoggingCategory::setFilterRules(QStringLiteral("canstop.*=false"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QList<QByteArray> fields =
        QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)).split('\0');
    const auto set = [&fields](int i) {
        return i < fields.size() ? std::optional<QByteArray>(fields.at(i)) : std::nullopt;
    };
    const QByteArray where = fields.value(0);
    if (const auto address = SystemdNotifier::notifyAddress(where)) {
        if (!where.startsWith('/') && !where.startsWith('@'))
            __builtin_trap();
        if (address->size() != qsizetype(offsetof(sockaddr_un, sun_path)) + where.size() ||
            address->size() > qsizetype(sizeof(sockaddr_un)))
            __builtin_trap(); // exactly the name's length, and it fits
    }
    if (const auto interval = SystemdNotifier::watchdogInterval(set(1), set(2))) {
        if (interval->count() < 1 || interval->count() > INT_MAX)
            __builtin_trap(); // not an interval a QTimer runs
    }
    if (const auto word = set(3)) {
        const QByteArray plain = word->trimmed().toLower();
        const std::optional<bool> choice = canstop::parseDispatcherChoice(*word);
        if (choice.has_value() != (plain == "canstop" || plain == "qt") ||
            (choice && *choice != (plain == "canstop")))
            __builtin_trap();
    }
    if (const auto stream = set(4)) {
        if (const auto id = canstop::JournalStream::parse(*stream)) {
            if (stream->count(':') != 1 ||
                canstop::JournalStream::parse(QByteArray::number(id->device) + ':' +
                                              QByteArray::number(id->inode)) != id)
                __builtin_trap(); // digits, one colon, and the numbers they say
            for (const char c : *stream) {
                if (c != ':' && (c < '0' || c > '9'))
                    __builtin_trap();
            }
        }
    }
    return 0;
}
