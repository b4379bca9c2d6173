// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/serviceoptions.h>

#include <algorithm>

namespace canstop {

std::chrono::milliseconds RestartPolicy::delayAfter(int recentFailures) const
{
    const int failures = std::min(recentFailures, 5);
    if (failures <= 1)
        return std::chrono::milliseconds(0);
    // At most 8 x backoff; compared before multiplying, so it cannot overflow.
    const int factor = 1 << (failures - 2);
    if (backoff.count() > maxBackoff.count() / factor)
        return maxBackoff;
    return std::min(backoff * factor, maxBackoff);
}

} // namespace canstop
