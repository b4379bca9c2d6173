// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "reportfile_p.h"

#include "logging_p.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <ctime>

namespace canstop {

namespace {

bool writeJson(const QString &path, const QJsonObject &json)
{
    if (path.isEmpty())
        return true;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(json).toJson(QJsonDocument::Indented)) < 0 || !file.commit()) {
        qCWarning(lcLifecycle, "cannot write the shutdown report to %ls: %ls",
                  qUtf16Printable(path), qUtf16Printable(file.errorString()));
        return false;
    }
    return true;
}

// As the report's times read (ISO 8601, local, milliseconds), from the C
// library: a hard stop on the way out may run after Qt's time zone data
// is gone, and QDateTime then formats nothing.
QString localTimeNow()
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    tm local{};
    ::localtime_r(&now.tv_sec, &local);
    char text[32];
    const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
    return QString::asprintf("%s.%03ld", QByteArray(text, qsizetype(length)).constData(),
                             now.tv_nsec / 1000000);
}

} // namespace

QString ReportFile::refusal(const QString &path)
{
    if (path.isEmpty())
        return QStringLiteral("the path is empty");
    const QFileInfo file(path);
    if (file.isDir())
        return QStringLiteral("it is a directory");
    if (!file.absoluteDir().exists())
        return QStringLiteral("its directory %1 does not exist").arg(file.absolutePath());
    return {};
}

void ReportFile::setPath(const QString &path)
{
    const std::lock_guard lock(m_mutex);
    m_path = path;
}

QString ReportFile::path() const
{
    const std::lock_guard lock(m_mutex);
    return m_path;
}

bool ReportFile::write(const QJsonObject &report) const
{
    const QString to = path();
    const bool written = writeJson(to, report);
    const std::lock_guard lock(m_mutex);
    m_reportWritten = written && !to.isEmpty();
    return written;
}

bool ReportFile::writeHardStop(int exitCode, const QString &message) const
{
    QString to;
    {
        const std::lock_guard lock(m_mutex);
        if (m_reportWritten)
            return true;
        to = m_path;
    }
    return writeJson(to, QJsonObject{
                             {QStringLiteral("exitCode"), exitCode},
                             {QStringLiteral("clean"), false},
                             {QStringLiteral("finishedAt"), localTimeNow()},
                             {QStringLiteral("hardStop"), message},
                         });
}

} // namespace canstop
