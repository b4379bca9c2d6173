// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QtGlobal>

#include <chrono>

namespace canstop {

// A graceful server's options for its connections, shared with their
// guards (which may outlive the server). The setters refuse a bad value
// with one warning, for the servers' setters of the same names.
struct DrainSettings
{
    qint64 maxPendingOutput = qint64{1024} * 1024;
    qint64 maxPendingInput = qint64{1024} * 1024;
    std::chrono::milliseconds linger{1000};
    std::chrono::milliseconds idleGrace{250};
    bool awaitPeerClose = false;

    bool setMaxPendingOutput(qint64 bytes);
    bool setMaxPendingInput(qint64 bytes);
    bool setLinger(std::chrono::milliseconds time);
    bool setIdleGrace(std::chrono::milliseconds grace);
};

} // namespace canstop
