// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QObject>
#include <QProperty>
#include <QStringList>

#include <atomic>
#include <functional>

namespace canstop {

// Whether the program takes new work (the readiness probe, READY=1): it
// runs, nothing holds readiness, no reload is under way, and no shutdown has
// begun. One setter writes the bindable property and the flag other threads
// read; the flag also falls the instant a terminating signal arrives (the
// hard stop's count, through `terminationSignalled`), before any thread has
// acted on it. Lives in the manager's thread; isReadyNow() is for any thread.
class Readiness : public QObject
{
    Q_OBJECT

public:
    // `terminationSignalled` is called from any thread.
    explicit Readiness(std::function<bool()> terminationSignalled, QObject *parent = nullptr);

    // Events.
    void started();
    // One warning and false for an empty name, or a release of what holds nothing.
    bool hold(const QString &what);
    bool release(const QString &what);
    // Around the slots of a reload: readiness is down while they run, and
    // comes back after unless one of them holds it. reloadStarted() comes
    // first, so that what must precede those slots can.
    void beginReload();
    void endReload();
    // A part of the reload failed (its old configuration stays): said in
    // the status until the next reload begins.
    void reloadFailed(const QString &error);
    QStringList reloadFailures() const { return m_reloadFailures; }
    // The shutdown has begun: down for good. Silent, so that the caller
    // announces it with the rest of the shutdown; true if it was up.
    bool stop();

    bool isReady() const { return m_ready.value(); }
    bool isReadyNow() const; // any thread
    QBindable<bool> bindable() const { return &m_ready; }
    // Why it is down while running: "reloading", "not ready: a, b"; empty when up.
    QString notReadyReason() const;

Q_SIGNALS:
    void changed(bool ready);
    void reloadStarted();
    void holdsChanged();

private:
    void update();

    const std::function<bool()> m_terminationSignalled;
    QProperty<bool> m_ready{false};
    std::atomic<bool> m_readyNow{false}; // m_ready, for other threads
    QStringList m_holds;                 // may name the same thing twice
    QStringList m_reloadFailures;        // of the last reload
    bool m_running = false;
    bool m_reloading = false;
    bool m_stopped = false;
};

} // namespace canstop
