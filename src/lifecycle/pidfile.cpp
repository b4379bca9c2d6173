// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "pidfile_p.h"

#include "logging_p.h"

#include <QFile>
#include <QSaveFile>

namespace canstop {

bool PidFile::write(const QString &path, qint64 pid)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::number(pid) + '\n') < 0 ||
        !file.commit()) {
        qCWarning(lcLifecycle, "cannot write the PID file %ls: %ls", qUtf16Printable(path),
                  qUtf16Printable(file.errorString()));
        return false;
    }
    return true;
}

bool PidFile::removeIfOurs(const QString &path, qint64 pid)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    constexpr qint64 MaxLine = 32; // a pid and a newline, with room to spare
    bool ok = false;
    const qint64 named = file.read(MaxLine).trimmed().toLongLong(&ok);
    file.close();
    return ok && named == pid && QFile::remove(path);
}

} // namespace canstop
