// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/shutdownhold.h>

namespace canstop {

ShutdownHold::ShutdownHold(SessionToken session, const QString &what, QObject *parent)
    : QObject(parent), m_session(std::move(session)), m_what(what)
{}

ShutdownHold::~ShutdownHold() = default;

void ShutdownHold::release()
{
    if (m_released)
        return;
    m_released = true;
    if (m_session.isValid()) {
        m_session.reset();
        Q_EMIT heldChanged(false);
    }
    deleteLater();
}

} // namespace canstop
