#pragma once

#include <QString>

#include <chrono>

namespace canstop {

// How a service is stopped. Every field has a sensible default.
struct ServiceOptions
{
    // Used in logs and the report; empty means objectName(), else the class name.
    QString name;
    // The service's own stop budget; zero means "whatever is left of the
    // shutdown deadline". The smaller of the two always applies.
    std::chrono::milliseconds stopTimeout{0};
    // Stop after the sessions have drained (for what sessions use: a database pool).
    bool stopAfterSessions = false;
};

} // namespace canstop
