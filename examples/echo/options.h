// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "commandline.h"

#include <canstop/gracefultcpserver.h>

#include <climits>

// canstop-echo's options.
inline void addEchoOptions(examples::CommandLine &options)
{
    options.addNumber(QStringLiteral("port"),
                      QStringLiteral("Port to listen on; 0: any free one (default 48879)."),
                      QStringLiteral("port"), 0, 65535, QStringLiteral("48879"));
    options.addText(QStringLiteral("bind"),
                    QStringLiteral("Address or host name to listen on (default 127.0.0.1)."),
                    QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    examples::addDispatcherOption(options);
    options.addNumber(QStringLiteral("shutdown-timeout"),
                      QStringLiteral("Shutdown deadline in ms (default 30000)."),
                      QStringLiteral("ms"), 1, INT_MAX, QStringLiteral("30000"));
    options.addNumber(QStringLiteral("max-pending"),
                      QStringLiteral("Bytes per client held unsent, and read ahead, before "
                                     "reading from it pauses (default 1048576)."),
                      QStringLiteral("bytes"), 1, INT_MAX, QStringLiteral("1048576"));
    options.addNumber(QStringLiteral("backlog"),
                      QStringLiteral("Listen backlog (default: the kernel's maximum)."),
                      QStringLiteral("n"), 1, INT_MAX);
    options.addNumber(QStringLiteral("lame-duck"),
                      QStringLiteral("On SIGTERM, serve on for this long (ms) while readiness "
                                     "already fails, then drain (default 0)."),
                      QStringLiteral("ms"), 0, INT_MAX, QStringLiteral("0"));
    options.addNumber(
        QStringLiteral("health-port"),
        QStringLiteral("Answer /readyz and /livez on this port, at the --bind address."),
        QStringLiteral("port"), 0, 65535);
    options.addNumber(
        QStringLiteral("threads"),
        QStringLiteral("Serve the clients in this many threads (default 0: in the main one)."),
        QStringLiteral("n"), 0, canstop::GracefulTcpServer::MaxWorkerThreads, QStringLiteral("0"));
    options.addFlag(QStringLiteral("fd-store"),
                    QStringLiteral("Under systemd, keep the listening socket in the unit's file "
                                   "descriptor store (FileDescriptorStoreMax=1), for the next "
                                   "start."));
    examples::addUpgradeOptions(options);
}
