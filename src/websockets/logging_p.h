// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QLoggingCategory>

namespace canstop {
Q_DECLARE_LOGGING_CATEGORY(lcWebSockets)
} // namespace canstop
