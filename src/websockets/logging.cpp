// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "logging_p.h"

namespace canstop {
Q_LOGGING_CATEGORY(lcWebSockets, "canstop.websockets", QtInfoMsg)
} // namespace canstop
