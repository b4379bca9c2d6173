// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefultcpserver.h>
#include <canstop/sessiontoken.h>

#include "acceptor_p.h"
#include "connectionset_p.h"
#include "managerlink_p.h"
#include "servermetrics_p.h"
#include "tlshandshakes_p.h"
#include "workerthread_p.h"

#include <memory>
#include <vector>

namespace canstop {

class GracefulTcpServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulTcpServer)

public:
    explicit GracefulTcpServerPrivate(GracefulTcpServer *server);

    void startDraining();
    // At the deadline, before the connections: a listener still open.
    void closeListenerAtDeadline();
    void closeListener();
    int kernelQueueLength() const;
    // Shares the listener with an upgrade's new instance.
    void share();
    // Listening: its numbers go to /metrics, under its objectName() or
    // else the address it listens on.
    void enterMetrics();
    // Whether the kernel's queue is left on the socket at the drain: a
    // service manager holds it, or an upgrade's new instance serves it.
    bool leavesQueue() const;

    GracefulTcpServer *const q_ptr;
    ManagerLink manager;
    DrainOptions options; // each connection takes a copy
    bool draining = false;
    bool inherited = false; // from listenInherited(): its queue is not ours to take
    bool stored = false;    // in systemd's fd store: neither
    QString listenerName;   // as passed or stored; for an upgrade's LISTEN_FDNAMES
    // A GracefulSslServer's: its connections are TLS, pending once encrypted.
    std::shared_ptr<TlsHandshakes> tls;
    const std::shared_ptr<ServerStats> stats = std::make_shared<ServerStats>();
    ConnectionSet connections;
    std::vector<std::unique_ptr<WorkerThread>> workers; // from serveInThreads()
    size_t nextWorker = 0;
    Acceptor acceptor; // last: its hooks use the members above
};

} // namespace canstop
