// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "logging_p.h"

namespace canstop {
// Info and worse by default: the start of a shutdown and its summary are what
// an operator looks for in a log.
Q_LOGGING_CATEGORY(lcLifecycle, "canstop.lifecycle", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSignals, "canstop.signals", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServices, "canstop.services", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSessions, "canstop.sessions", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSystemd, "canstop.systemd", QtInfoMsg)
Q_LOGGING_CATEGORY(lcLogind, "canstop.logind", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEventDispatcher, "canstop.eventdispatcher", QtInfoMsg)
} // namespace canstop
