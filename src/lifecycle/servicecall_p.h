// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QMetaMethod>
#include <QObject>
#include <QPointer>

#include <functional>

namespace canstop {

// Invokes one method of a service in the service's own thread and reports,
// queued, when it has returned. The manager connects to returned(), so a
// call that outlives the manager reports to nobody, safely.
class ServiceCall : public QObject
{
    Q_OBJECT

public:
    // `onReturned` runs in `receiver`'s thread, and not at all if the
    // receiver is gone by then. The call deletes itself after running.
    static void post(QObject *target, const QMetaMethod &method, QObject *receiver = nullptr,
                     std::function<void()> onReturned = {});
    // The same for a function of the target's (ServiceOptions::stop).
    static void post(QObject *target, std::function<void(QObject *)> function,
                     QObject *receiver = nullptr, std::function<void()> onReturned = {});

Q_SIGNALS:
    void returned();

private:
    ServiceCall(QObject *target, std::function<void(QObject *)> function);
    void run();

    QPointer<QObject> m_target;
    std::function<void(QObject *)> m_function;
};

} // namespace canstop
