// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QString>

#include <mutex>

QT_BEGIN_NAMESPACE
class QJsonObject;
QT_END_NAMESPACE

namespace canstop {

// The shutdown report as a file (`--report-file`), for post-mortems and CI:
// JSON, written whole or not at all. QSaveFile writes it to an unnamed file
// in the same directory (O_TMPFILE) and links it in place only when it is
// complete, so a process killed while writing leaves neither the report nor
// a partial file behind. Its path is read by the hard stop's thread.
class ReportFile
{
public:
    // Why `path` cannot take a report (empty, a directory, or its directory
    // missing); empty when it can.
    static QString refusal(const QString &path);

    // Thread-safe; an empty path writes nothing.
    void setPath(const QString &path);
    QString path() const;
    // The sequence's report. False with one warning naming the path and
    // the error; true when written or when there is no path.
    bool write(const QJsonObject &report) const;
    // The hard stop's, from its own thread: when the sequence never
    // finished its report, says what the hard stop knows: the exit code,
    // and its message, which names what was still pending. Nothing when
    // the report was written (the process was slow to end after it).
    bool writeHardStop(int exitCode, const QString &message) const;

private:
    mutable std::mutex m_mutex;
    QString m_path;
    mutable bool m_reportWritten = false;
};

} // namespace canstop
