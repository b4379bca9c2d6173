// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "lifecycleforeign_p.h"

namespace canstop {

LifecycleManager *LifecycleForeign::create(QQmlEngine *, QJSEngine *)
{
    LifecycleManager *manager = LifecycleManager::instance();
    if (manager)
        QJSEngine::setObjectOwnership(manager, QJSEngine::CppOwnership);
    return manager;
}

} // namespace canstop
