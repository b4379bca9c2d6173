// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QObject>
#include <QProperty>
#include <QStringList>

namespace canstop {

// The machine's sleep as the program lives it: `sleeping` from the
// announcement to the resume; holds by name (holdSleep()) that keep the
// sleep waiting until they are released or the sleep can wait no longer;
// and how long the machine slept. Fed events by the manager (from logind);
// knows nothing of D-Bus. Lives in the manager's thread.
class SleepCycle : public QObject
{
    Q_OBJECT

public:
    explicit SleepCycle(QObject *parent = nullptr);

    // Events.
    // The machine is about to sleep: aboutToSleep(), then mayProceed() as
    // soon as nothing holds it (at once if nothing did).
    void prepare();
    // The sleep can wait no longer: mayProceed() now, naming what still
    // holds it in a warning. Nothing if it is not waiting.
    void expire();
    // The machine is awake again: resumed().
    void resume();
    // One warning and false for an empty name, or a release of what holds nothing.
    bool hold(const QString &what);
    bool release(const QString &what);

    bool isSleeping() const { return m_sleeping.value(); }
    QBindable<bool> bindable() const { return &m_sleeping; }
    const QStringList &holds() const { return m_holds; }

Q_SIGNALS:
    void changed(bool sleeping);
    // Slots may hold the sleep (hold()) while they run.
    void aboutToSleep();
    // The sleep need not wait for this program any more.
    void mayProceed();
    // `sleptMs`: the time the machine was suspended, not the time awake
    // between the announcement and the resume.
    void resumed(qint64 sleptMs);

private:
    void proceedIfFree();

    QProperty<bool> m_sleeping{false};
    QStringList m_holds;    // may name the same thing twice
    bool m_waiting = false; // between prepare() and mayProceed()
    qint64 m_suspendedAtPrepareNs = 0;
};

} // namespace canstop
