// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefultcpserver.h>
#include <canstop/sessiontoken.h>

#include "connectionset_p.h"
#include "managerlink_p.h"
#include "workerthread_p.h"

#include <QList>
#include <QSet>
#include <QTimer>

#include <memory>
#include <vector>

namespace canstop {

class GracefulTcpServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulTcpServer)

public:
    explicit GracefulTcpServerPrivate(GracefulTcpServer *server);

    // Gone: a newConnection() slot deleted the server (touch nothing);
    // Stopped: one closed it, or made it listen elsewhere.
    enum class Accepted { All, Limit, OutOfDescriptors, Stopped, Gone };

    void startDraining();
    // At the deadline, before the connections: a listener still open.
    void closeListenerAtDeadline();
    void closeListener();
    void takeOverAccepting();
    void onReadyToAccept();
    // Accepts what the kernel has queued, as QTcpServer would.
    Accepted acceptQueued(bool ignoreLimit);
    void outOfDescriptors();
    int kernelQueueLength() const;

    GracefulTcpServer *const q_ptr;
    ManagerLink manager;
    DrainOptions options; // each connection takes a copy
    bool draining = false;
    bool inherited = false; // from listenInherited(): its queue is not ours to take
    bool stored = false;    // in systemd's fd store: neither
    QTimer retryTimer;      // accepting again after running out of descriptors
    int retryDelayMs = 0;
    SessionToken queuedInKernel; // a drain out of descriptors: what the kernel queued
    ConnectionSet connections;
    std::vector<std::unique_ptr<WorkerThread>> workers; // from serveInThreads()
    size_t nextWorker = 0;

    // On the listening socket's read notifier: accepts instead of Qt.
    class AcceptFilter : public QObject
    {
    public:
        explicit AcceptFilter(GracefulTcpServerPrivate *d) : m_d(d) {}
        bool eventFilter(QObject *, QEvent *event) override;

    private:
        GracefulTcpServerPrivate *const m_d;
    } acceptFilter{this};
};

} // namespace canstop
