// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "servicecall_p.h"

#include "queuedcall_p.h"

namespace canstop {

ServiceCall::ServiceCall(QObject *target, const QMetaMethod &method)
    : m_target(target), m_method(method)
{}

void ServiceCall::post(QObject *target, const QMetaMethod &method, QObject *receiver,
                       std::function<void()> onReturned)
{
    auto *call = new ServiceCall(target, method);
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
        m_method.invoke(m_target.data(), Qt::DirectConnection);
    Q_EMIT returned();
    deleteLater();
}

} // namespace canstop
