// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QString>

namespace canstop {

// A PID file (`--pid-file`): written whole or not at all (a temporary file
// renamed over it), so a reader never sees a partial pid, and removed at
// the exit only while it still names this process (after an upgrade it
// names the new instance).
class PidFile
{
public:
    // False with one warning naming the path and the error.
    static bool write(const QString &path, qint64 pid);
    // True when it was removed; false, silently, when it names another
    // process or is gone.
    static bool removeIfOurs(const QString &path, qint64 pid);
};

} // namespace canstop
