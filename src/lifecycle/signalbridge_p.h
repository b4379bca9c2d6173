// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QList>
#include <QObject>

#include <memory>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// Turns Unix signals into a Qt signal in the thread that owns the bridge.
// The handler only sets a per-signal flag and writes one byte to a
// non-blocking socketpair; a QSocketNotifier drains it and emits
// signalCaught() once per pending signal kind. Process-wide: only one bridge
// may be installed at a time, and it puts back the previous dispositions
// when destroyed.
class SignalBridge : public QObject
{
    Q_OBJECT

public:
    explicit SignalBridge(QObject *parent = nullptr);
    ~SignalBridge() override;

    // All or nothing: on any failure nothing stays installed, one warning is
    // logged and false is returned.
    bool install(const QList<int> &signalNumbers);

    // Why `signalNumber` may not be watched, or an empty string if it may.
    static QString refusal(int signalNumber);
    static QString signalName(int signalNumber);

Q_SIGNALS:
    void signalCaught(int signalNumber);

private:
    void uninstall();
    void drain();

    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<int> m_signals;
    int m_readFd = -1;
    int m_writeFd = -1;
};

} // namespace canstop
