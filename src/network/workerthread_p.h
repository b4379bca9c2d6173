// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefultcpserver.h>
#include <canstop/sessiontoken.h>

#include <QDeadlineTimer>
#include <QThread>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace canstop {

class TlsHandshakes;

class ConnectionSet;
class ServerStats;

// One of a server's worker threads: its own event loop, and its share of
// the server's connections, guarded and drained as the server's.
class WorkerThread : public QThread
{
public:
    using Serve = std::function<void(QTcpSocket *)>;

    // `stats`: the server's numbers, which its connections here count into.
    WorkerThread(QObject *server, Serve serve, std::shared_ptr<ServerStats> stats);
    // Ends the event loop; what is still connected is closed with it.
    ~WorkerThread() override;

    // Starts the thread; returns once it takes connections.
    void startServing();
    // In the server's thread: `fd` becomes a connection in this thread,
    // drained with `options`, handed to `serve` there (with `tls`, once
    // encrypted); `token` counts it meanwhile.
    void adopt(int fd, const DrainOptions &options, SessionToken token,
               std::shared_ptr<const TlsHandshakes> tls = {});
    void startDraining(QDeadlineTimer deadline);
    // ConnectionSet::shedSilent() in this thread, soon.
    void shedSilent(int most, std::chrono::milliseconds minimum);

protected:
    void run() override;

private:
    QObject *const m_server;
    const Serve m_serve;
    const std::shared_ptr<ServerStats> m_stats;
    // Guards m_context and m_connections, which live in run(), for the
    // server's thread: nothing is posted to them once they are gone.
    std::mutex m_mutex;
    std::condition_variable m_ready;
    QObject *m_context = nullptr;
    ConnectionSet *m_connections = nullptr;
};

} // namespace canstop
