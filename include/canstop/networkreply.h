// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/canstop_network_export.h>

#include <QtGlobal>

QT_BEGIN_NAMESPACE
class QNetworkReply;
QT_END_NAMESPACE

namespace canstop {

class LifecycleManager;

/// What trackReply() does with a request in flight when the shutdown begins.
enum class ReplyAtShutdown {
    Await,           ///< waits for it, up to the deadline
    AbortIdempotent, ///< aborts a GET or HEAD at once (it can be repeated later); awaits the rest
};

/// A QNetworkReply as a session of `lifecycle`'s, named "<method> <url>"
/// (without user info), until it finishes or is destroyed. One still
/// running at the deadline is named in the report as abandoned, then
/// aborted, so that nothing holds the program's exit. Call it in the
/// reply's thread. False, like LifecycleManager::holdSession(), once a
/// shutdown has begun, and for a null or finished reply (with one warning
/// for a null one). A free function, not a member of the manager, so that
/// Canstop::Lifecycle needs only QtCore.
CANSTOP_NETWORK_EXPORT bool trackReply(LifecycleManager &lifecycle, QNetworkReply *reply,
                                       ReplyAtShutdown atShutdown = ReplyAtShutdown::Await);

} // namespace canstop
