// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The parser of what socket activation passes: fields separated by NUL
// bytes, LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES. The first byte, odd, makes
// LISTEN_PID this process's, so that the rest is reached. One name per
// passed descriptor, the given ones or all "unknown".
#include "inheritedsockets_p.h"

#include <QByteArray>
#include <QLoggingCategory>

#include <algorithm>
#include <cstddef>
#include <cstdint>

using canstop::InheritedSockets;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // Each garbled value is warned about; a million warnings only slow it down.
    QLoggingCategory::setFilterRules(QStringLiteral("canstop.*=false"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QList<QByteArray> fields =
        QByteArray(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1)).split('\0');
    const QByteArray pid = fields.value(0), fds = fields.value(1), given = fields.value(2);
    const qint64 ownPid = data[0] & 1 ? pid.toLongLong() : 0;
    const QByteArrayList names = InheritedSockets::parse(pid, fds, given, ownPid);
    if (names.isEmpty())
        return 0;
    bool ok = false;
    if (names.size() != fds.toInt(&ok) || !ok)
        __builtin_trap(); // one name per passed descriptor
    if (names != given.split(':') &&
        !std::all_of(names.cbegin(), names.cend(),
                     [](const QByteArray &name) { return name == "unknown"; }))
        __builtin_trap(); // the names given, or none of them
    return 0;
}
