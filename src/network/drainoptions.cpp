// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/drainoptions.h>

#include "logging_p.h"

#include <limits>

namespace canstop {

class DrainOptionsData : public QSharedData
{
public:
    qint64 maxPendingOutput = DrainOptions::DefaultMaxPendingOutput;
    qint64 maxPendingInput = DrainOptions::DefaultMaxPendingInput;
    std::chrono::milliseconds idleGrace = DrainOptions::DefaultIdleGrace;
    std::chrono::milliseconds linger = DrainOptions::DefaultLinger;
    bool awaitPeerClose = false;
    DrainOptions::Protocol protocol = DrainOptions::Protocol::Raw;
};

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

DrainOptions::DrainOptions() : d(new DrainOptionsData) {}
DrainOptions::DrainOptions(const DrainOptions &other) = default;
DrainOptions::DrainOptions(DrainOptions &&other) noexcept = default;
DrainOptions &DrainOptions::operator=(const DrainOptions &other) = default;
DrainOptions &DrainOptions::operator=(DrainOptions &&other) noexcept = default;
DrainOptions::~DrainOptions() = default;

bool DrainOptions::operator==(const DrainOptions &other) const
{
    return d == other.d ||
           (d->maxPendingOutput == other.d->maxPendingOutput &&
            d->maxPendingInput == other.d->maxPendingInput && d->idleGrace == other.d->idleGrace &&
            d->linger == other.d->linger && d->awaitPeerClose == other.d->awaitPeerClose &&
            d->protocol == other.d->protocol);
}

qint64 DrainOptions::maxPendingOutput() const
{
    return d->maxPendingOutput;
}

bool DrainOptions::setMaxPendingOutput(qint64 bytes)
{
    if (!validBufferSize("maxPendingOutput", bytes))
        return false;
    d->maxPendingOutput = bytes;
    return true;
}

qint64 DrainOptions::maxPendingInput() const
{
    return d->maxPendingInput;
}

bool DrainOptions::setMaxPendingInput(qint64 bytes)
{
    if (!validBufferSize("maxPendingInput", bytes))
        return false;
    d->maxPendingInput = bytes;
    return true;
}

std::chrono::milliseconds DrainOptions::idleGrace() const
{
    return d->idleGrace;
}

bool DrainOptions::setIdleGrace(std::chrono::milliseconds grace)
{
    if (grace.count() < 0 || grace.count() > std::numeric_limits<int>::max()) {
        qCWarning(lcNetwork, "idle grace of %lld ms refused: it must be between 0 and %d ms",
                  static_cast<long long>(grace.count()), std::numeric_limits<int>::max());
        return false;
    }
    d->idleGrace = grace;
    return true;
}

std::chrono::milliseconds DrainOptions::linger() const
{
    return d->linger;
}

bool DrainOptions::setLinger(std::chrono::milliseconds linger)
{
    if (linger.count() < 0) {
        qCWarning(lcNetwork, "linger of %lld ms refused: it must not be negative",
                  static_cast<long long>(linger.count()));
        return false;
    }
    d->linger = linger;
    return true;
}

bool DrainOptions::awaitsPeerClose() const
{
    return d->awaitPeerClose;
}

void DrainOptions::setAwaitPeerClose(bool await)
{
    d->awaitPeerClose = await;
}

DrainOptions::Protocol DrainOptions::protocol() const
{
    return d->protocol;
}

bool DrainOptions::setProtocol(Protocol protocol)
{
    if (protocol != Protocol::Raw && protocol != Protocol::Http1) {
        qCWarning(lcNetwork, "protocol %d refused: not a DrainOptions::Protocol",
                  static_cast<int>(protocol));
        return false;
    }
    d->protocol = protocol;
    return true;
}

} // namespace canstop
