// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "servicecall_p.h"

#include "queuedcall_p.h"

namespace canstop {

ServiceCall::ServiceCall(QObject *target, std::function<void(QObject *)> function)
    : m_target(target), m_function(std::move(function))
{}

void ServiceCall::post(QObject *target, const QMetaMethod &method, QObject *receiver,
                       std::function<void()> onReturned)
{
    post(
        target, [method](QObject *object) { method.invoke(object, Qt::DirectConnection); },
        receiver, std::move(onReturned));
}

void ServiceCall::post(QObject *target, std::function<void(QObject *)> function, QObject *receiver,
                       std::function<void()> onReturned)
{
    auto *call = new ServiceCall(target, std::move(function));
    if (receiver && onReturned)
        connect(call, &ServiceCall::returned, receiver, std::move(onReturned),
                Qt::QueuedConnection);
    // Connected before it moves, so a fast target thread cannot return unheard.
    call->moveToThread(target->thread());
    postCall(call, [call] { call->run(); });
}

void ServiceCall::run()
{
    if (m_target)
        m_function(m_target.data());
    Q_EMIT returned();
    deleteLater();
}

} // namespace canstop
