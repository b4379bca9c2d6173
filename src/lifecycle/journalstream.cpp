// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "journalstream_p.h"

#include "logging_p.h"

#include <QtGlobal>

#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

namespace canstop {

namespace {

// Qt's default message pattern (QMessagePattern's), which the priorities precede.
constexpr char DefaultPattern[] = "%{if-category}%{category}: %{endif}%{message}";

std::optional<quint64> decimal(const QByteArray &digits)
{
    if (digits.isEmpty() || digits.size() > 20)
        return std::nullopt;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    bool ok = false;
    const quint64 value = digits.toULongLong(&ok);
    return ok ? std::optional<quint64>(value) : std::nullopt;
}

} // namespace

std::optional<JournalStream::Id> JournalStream::parse(const QByteArray &value)
{
    const qsizetype colon = value.indexOf(':');
    if (colon < 0)
        return std::nullopt;
    const std::optional<quint64> device = decimal(value.left(colon));
    const std::optional<quint64> inode = decimal(value.mid(colon + 1));
    if (!device || !inode)
        return std::nullopt;
    return Id{*device, *inode};
}

std::optional<JournalStream::Id> JournalStream::of(int fd)
{
    struct stat status
    {
    };
    if (::fstat(fd, &status) != 0)
        return std::nullopt;
    return Id{quint64(status.st_dev), quint64(status.st_ino)};
}

QString JournalStream::withPriorities(const QString &pattern)
{
    return QStringLiteral("%{if-debug}<7>%{endif}%{if-info}<6>%{endif}%{if-warning}<4>%{endif}"
                          "%{if-critical}<3>%{endif}%{if-fatal}<2>%{endif}") +
           pattern;
}

bool JournalStream::applyToStandardError()
{
    static std::once_flag once;
    static bool applied = false;
    std::call_once(once, [] {
        if (!qEnvironmentVariableIsSet("JOURNAL_STREAM") ||
            qEnvironmentVariableIsSet("QT_MESSAGE_PATTERN"))
            return;
        const QByteArray value = qgetenv("JOURNAL_STREAM");
        const std::optional<Id> journal = parse(value);
        if (!journal) {
            qCWarning(lcSystemd, "JOURNAL_STREAM=%s: not DEVICE:INODE; log lines carry no priority",
                      value.left(64).toPercentEncoding(" :").constData());
            return;
        }
        // Set for a parent whose standard error went to the journal, then
        // handed down to a program whose standard error goes elsewhere.
        if (of(STDERR_FILENO) != journal)
            return;
        qSetMessagePattern(withPriorities(QLatin1String(DefaultPattern)));
        applied = true;
    });
    return applied;
}

} // namespace canstop
