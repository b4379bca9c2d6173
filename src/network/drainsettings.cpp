// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "drainsettings_p.h"

#include "logging_p.h"

#include <limits>

namespace canstop {

namespace {

bool validBufferSize(const char *name, qint64 bytes)
{
    if (bytes > 0 && bytes <= std::numeric_limits<int>::max())
        return true;
    qCWarning(lcNetwork, "%s of %lld refused: it must be between 1 and %d", name,
              static_cast<long long>(bytes), std::numeric_limits<int>::max());
    return false;
}

} // namespace

bool DrainSettings::setMaxPendingOutput(qint64 bytes)
{
    if (!validBufferSize("maxPendingOutput", bytes))
        return false;
    maxPendingOutput = bytes;
    return true;
}

bool DrainSettings::setMaxPendingInput(qint64 bytes)
{
    if (!validBufferSize("maxPendingInput", bytes))
        return false;
    maxPendingInput = bytes;
    return true;
}

bool DrainSettings::setLinger(std::chrono::milliseconds time)
{
    if (time.count() < 0) {
        qCWarning(lcNetwork, "linger of %lld ms refused: it must not be negative",
                  static_cast<long long>(time.count()));
        return false;
    }
    linger = time;
    return true;
}

bool DrainSettings::setIdleGrace(std::chrono::milliseconds grace)
{
    if (grace.count() < 0 || grace.count() > std::numeric_limits<int>::max()) {
        qCWarning(lcNetwork, "idle grace of %lld ms refused: it must be between 0 and %d ms",
                  static_cast<long long>(grace.count()), std::numeric_limits<int>::max());
        return false;
    }
    idleGrace = grace;
    return true;
}

} // namespace canstop
