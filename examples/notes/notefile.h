// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QObject>
#include <QtQml/qqmlregistration.h>

// The note: its text, whether it has changes not yet on disk, and saving
// them (atomically: QSaveFile).
class NoteFile : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by main()")
    Q_PROPERTY(QString path READ path CONSTANT)
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged)
    Q_PROPERTY(bool modified READ isModified NOTIFY modifiedChanged)

public:
    explicit NoteFile(const QString &path, QObject *parent = nullptr);

    QString path() const { return m_path; }
    QString text() const { return m_text; }
    void setText(const QString &text);
    bool isModified() const { return m_modified; }

    // Writes the text if it changed; false (and a warning) if it cannot.
    Q_INVOKABLE bool save();
    // Forgets the changes (the file keeps what it had).
    Q_INVOKABLE void discard();

Q_SIGNALS:
    void textChanged();
    void modifiedChanged();

private:
    void setModified(bool modified);

    const QString m_path;
    QString m_text;
    bool m_modified = false;
};
