// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Must not compile: a service passed with its own type needs stop().
// The `compile_fail_service_without_stop` test builds it and expects the
// static_assert's message.

#include <canstop/lifecyclemanager.h>

class Worker : public QObject
{
public:
    void halt() {}
};

bool registerWorker(canstop::LifecycleManager &lifecycle, Worker *worker)
{
    return lifecycle.addService(worker);
}
