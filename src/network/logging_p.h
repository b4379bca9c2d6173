#pragma once

#include <QLoggingCategory>

namespace canstop {
Q_DECLARE_LOGGING_CATEGORY(lcNetwork)
} // namespace canstop
