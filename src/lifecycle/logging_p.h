// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QLoggingCategory>

namespace canstop {
Q_DECLARE_LOGGING_CATEGORY(lcLifecycle)
Q_DECLARE_LOGGING_CATEGORY(lcSignals)
Q_DECLARE_LOGGING_CATEGORY(lcServices)
Q_DECLARE_LOGGING_CATEGORY(lcSessions)
Q_DECLARE_LOGGING_CATEGORY(lcSystemd)
Q_DECLARE_LOGGING_CATEGORY(lcLogind)
Q_DECLARE_LOGGING_CATEGORY(lcEventDispatcher)
} // namespace canstop
