// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/lifecyclemanager.h>

#include <QGuiApplication>
#include <QSessionManager>

namespace canstop {

/// Makes the desktop session's end, and an application's suspension, the
/// lifecycle's "save now" step (LifecycleManager::requestSave()):
/// QGuiApplication::commitDataRequest asks the session manager whether the
/// user may be asked (QSessionManager::allowsInteraction()), runs the step,
/// and cancels the logout if the user chose to (cancelSessionEnd()); an
/// application suspended (Qt::ApplicationSuspended: Android, iOS) runs it
/// without asking. The end of the session itself then comes as a quit or a
/// SIGTERM, which the manager turns into its shutdown. Call it once, after
/// the QGuiApplication; false, with a warning, without one. Inline, since
/// it needs QtGui, which canstop does not link: link Qt6::Gui.
inline bool followDesktopSession(LifecycleManager &lifecycle)
{
    auto *app = qobject_cast<QGuiApplication *>(QCoreApplication::instance());
    if (!app) {
        qWarning("canstop: followDesktopSession() needs a QGuiApplication");
        return false;
    }
#ifndef QT_NO_SESSIONMANAGER
    QObject::connect(app, &QGuiApplication::commitDataRequest, &lifecycle,
                     [&lifecycle](QSessionManager &session) {
                         const bool mayAsk = session.allowsInteraction();
                         if (!lifecycle.requestSave(mayAsk))
                             session.cancel();
                         if (mayAsk)
                             session.release();
                     });
#endif
    QObject::connect(app, &QGuiApplication::applicationStateChanged, &lifecycle,
                     [&lifecycle](Qt::ApplicationState state) {
                         if (state == Qt::ApplicationSuspended)
                             lifecycle.requestSave(false);
                     });
    return true;
}

} // namespace canstop
