// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_lifecycle_export.h>
#include <canstop/sessiontoken.h>

#include <QObject>

namespace canstop {

/// Work the shutdown waits for, as an object: what
/// LifecycleManager::holdShutdown() returns, for QML (and for C++ code that
/// keeps holds as objects). It holds a session (holdSession()) until
/// release() or its destruction: any shutdown waits for it within the
/// deadline, and names `what` in the report if it is still held then.
/// Owned by the manager until released, so QML's garbage collector never
/// ends it behind the application's back. In the manager's thread.
///
/// ```qml
/// function save() {
///     const hold = Lifecycle.holdShutdown("saving " + fileName)
///     writer.save(text, () => hold.release())
/// }
/// ```
class CANSTOP_LIFECYCLE_EXPORT ShutdownHold : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString what READ what CONSTANT)
    Q_PROPERTY(bool held READ isHeld NOTIFY heldChanged)

public:
    /// Holds `session`, described by `what`; an empty (refused) token
    /// holds nothing.
    ShutdownHold(SessionToken session, const QString &what, QObject *parent = nullptr);
    ~ShutdownHold() override;

    /// What the shutdown waits for, as the report names it.
    const QString &what() const { return m_what; }
    /// False once released, and for a hold refused because a shutdown had
    /// already begun.
    bool isHeld() const { return m_session.isValid(); }

    /// Ends the hold (if it held), then deletes this object (later), a
    /// refused one too. Again: nothing.
    Q_INVOKABLE void release();

Q_SIGNALS:
    /// release() ended the hold.
    void heldChanged(bool held);

private:
    SessionToken m_session;
    QString m_what;
    bool m_released = false;
};

} // namespace canstop
