// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/lifecyclemanager.h>

#include <QQmlEngine>

namespace canstop {

// Makes the application's LifecycleManager the QML singleton `Lifecycle`:
// the same object, owned by C++, so no engine ever deletes it.
struct LifecycleForeign
{
    Q_GADGET
    QML_FOREIGN(canstop::LifecycleManager)
    QML_NAMED_ELEMENT(Lifecycle)
    QML_SINGLETON

public:
    static LifecycleManager *create(QQmlEngine *, QJSEngine *);
};

// What Lifecycle.holdShutdown() returns: its properties and release().
struct ShutdownHoldForeign
{
    Q_GADGET
    QML_FOREIGN(canstop::ShutdownHold)
    QML_ANONYMOUS
};

} // namespace canstop
