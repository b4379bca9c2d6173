// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// The manager of a test in process: its shutdown never exits the test's
// application (autoExit off), so one test function can run a whole
// shutdown and check what follows.

#include <canstop/lifecyclemanager.h>

class TestManager : public canstop::LifecycleManager
{
public:
    explicit TestManager(QObject *parent = nullptr) : canstop::LifecycleManager(parent)
    {
        setAutoExit(false);
    }
};
