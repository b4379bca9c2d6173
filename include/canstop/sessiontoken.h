// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>

#include <QString>

#include <memory>

namespace canstop {

class SessionGate;

/// Counts as one session for as long as it is alive and not reset: hold one
/// around work that is not a QObject (a QtConcurrent job, a file being saved).
/// Move-only; may be moved to, reset in and destroyed in any thread.
class CANSTOP_LIFECYCLE_EXPORT SessionToken
{
public:
    /// An empty token: counts nothing.
    SessionToken() noexcept;
    /// Moves the session; `other` is left empty. Assigning ends the session
    /// this token held, if any.
    ///@{
    SessionToken(SessionToken &&other) noexcept;
    SessionToken &operator=(SessionToken &&other) noexcept;
    ///@}
    SessionToken(const SessionToken &) = delete;
    SessionToken &operator=(const SessionToken &) = delete;
    /// Ends the session (as reset()).
    ~SessionToken();

    /// False for a token the gate refused (a shutdown had begun) and after reset().
    bool isValid() const noexcept { return m_id != 0; }
    /// isValid().
    explicit operator bool() const noexcept { return isValid(); }

    /// Ends the session now.
    void reset();
    /// A further session, counted while this one is alive, even after the
    /// shutdown has closed the gate: work a session starts (a connection
    /// accepted during a drain) is counted too. Empty if this one is.
    [[nodiscard]] SessionToken hold(const QString &what) const;

    /// Ends the session now as abandoned, e.g. work cut off at the deadline:
    /// during a shutdown the report names it with `why` and the exit code
    /// becomes 1; before one, it is the same as reset().
    void abandon(const QString &why);

private:
    friend class LifecycleManager;
    SessionToken(std::shared_ptr<SessionGate> gate, quint64 id) noexcept;

    std::shared_ptr<SessionGate> m_gate;
    quint64 m_id = 0;
};

} // namespace canstop
