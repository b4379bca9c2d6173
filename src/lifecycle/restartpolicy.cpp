#include <canstop/serviceoptions.h>

#include <algorithm>

namespace canstop {

std::chrono::milliseconds RestartPolicy::delayAfter(int recentFailures) const
{
    const int failures = std::min(recentFailures, 5);
    if (failures <= 1)
        return std::chrono::milliseconds(0);
    const std::chrono::milliseconds delay = backoff * (1 << (failures - 2));
    return std::min(delay, maxBackoff);
}

} // namespace canstop
