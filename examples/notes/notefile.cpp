// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "notefile.h"

#include <QFile>
#include <QSaveFile>

NoteFile::NoteFile(const QString &path, QObject *parent) : QObject(parent), m_path(path)
{
    QFile file(path);
    if (file.open(QIODevice::ReadOnly))
        m_text = QString::fromUtf8(file.readAll());
}

void NoteFile::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    Q_EMIT textChanged();
    setModified(true);
}

bool NoteFile::save()
{
    if (!m_modified)
        return true;
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly) || file.write(m_text.toUtf8()) < 0 || !file.commit()) {
        qWarning("cannot save %ls: %ls", qUtf16Printable(m_path),
                 qUtf16Printable(file.errorString()));
        return false;
    }
    qInfo("saved %ls", qUtf16Printable(m_path));
    setModified(false);
    return true;
}

void NoteFile::discard()
{
    setModified(false);
}

void NoteFile::setModified(bool modified)
{
    if (modified == m_modified)
        return;
    m_modified = modified;
    Q_EMIT modifiedChanged();
}
