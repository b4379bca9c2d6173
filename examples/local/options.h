// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include "commandline.h"

// canstop-local-echo's options.
inline void addLocalEchoOptions(examples::CommandLine &options)
{
    examples::addDispatcherOption(options);
    examples::addUpgradeOptions(options);
    options.addFlag(QStringLiteral("fd-store"),
                    QStringLiteral("Under systemd, hand the listening socket to its file "
                                   "descriptor store, for the next start."));
    options.addPositional(QStringLiteral("name"),
                          QStringLiteral("A path, or a name Qt places in the temporary "
                                         "directory (default canstop-local-echo)."),
                          1);
}
