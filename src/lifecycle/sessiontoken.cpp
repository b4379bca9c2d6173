// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/sessiontoken.h>

#include "sessiongate_p.h"

#include <utility>

namespace canstop {

SessionToken::SessionToken() noexcept = default;

SessionToken::SessionToken(std::shared_ptr<SessionGate> gate, quint64 id) noexcept
    : m_gate(std::move(gate)), m_id(id)
{}

SessionToken::SessionToken(SessionToken &&other) noexcept
    : m_gate(std::move(other.m_gate)), m_id(std::exchange(other.m_id, 0))
{}

SessionToken &SessionToken::operator=(SessionToken &&other) noexcept
{
    if (this != &other) {
        reset();
        m_gate = std::move(other.m_gate);
        m_id = std::exchange(other.m_id, 0);
    }
    return *this;
}

SessionToken::~SessionToken()
{
    reset();
}

void SessionToken::reset()
{
    if (m_id != 0)
        m_gate->release(std::exchange(m_id, 0));
    m_gate.reset();
}

SessionToken SessionToken::hold(const QString &what) const
{
    if (m_id == 0)
        return {};
    const quint64 id = m_gate->hold(what, m_id);
    return id == 0 ? SessionToken() : SessionToken(m_gate, id);
}

void SessionToken::abandon(const QString &why)
{
    if (m_id != 0)
        m_gate->abandon(std::exchange(m_id, 0), why);
    m_gate.reset();
}

} // namespace canstop
