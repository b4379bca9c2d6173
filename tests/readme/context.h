// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// The types the README's snippets say are the reader's own; nothing else.
// Each snippet must include what it uses of Qt and canstop itself.
#include <canstop/lifecyclemanager.h>

#include <QMainWindow>
#include <QObject>

class QueueConsumer : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void stop() {}
};

class Job : public QObject
{
    Q_OBJECT
public:
    void reject() {}
};

class JobServer : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void newJob(Job *job);
};

class Upload : public QObject
{
    Q_OBJECT
public:
    explicit Upload(const QString &file) { setObjectName(file); }
    void start() {}
};
inline const QString file = QStringLiteral("photo.jpg");
inline void writeReport() {}

class MainWindow : public QMainWindow
{
    Q_OBJECT
protected:
    void closeEvent(QCloseEvent *event) override;

private:
    canstop::LifecycleManager *m_lifecycle = nullptr;
};
