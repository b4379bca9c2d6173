// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "workerthread_p.h"

#include "connectionset_p.h"
#include "httpsocket_p.h"
#include "logging_p.h"
#include "queuedcall_p.h"
#include "serversocket_p.h"
#include "socketaccess_p.h"

#include <unistd.h>

namespace canstop {

WorkerThread::WorkerThread(QObject *server, std::shared_ptr<DrainSettings> settings, Serve serve)
    : m_server(server), m_settings(std::move(settings)), m_serve(std::move(serve))
{}

WorkerThread::~WorkerThread()
{
    quit();
    wait();
}

void WorkerThread::startServing()
{
    start();
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [this] { return m_context != nullptr; });
}

void WorkerThread::run()
{
    QObject context; // parent of the connections: they end with the thread
    ConnectionSet connections(m_server, m_settings, &context);
    {
        const std::lock_guard lock(m_mutex);
        m_context = &context;
        m_connections = &connections;
    }
    m_ready.notify_one();
    exec();
}

void WorkerThread::adopt(int fd, GracefulTcpServer::Protocol protocol, SessionToken token)
{
    auto held = std::make_shared<SessionToken>(std::move(token));
    postCall(m_context, [this, fd, protocol, held] {
        QTcpSocket *socket = protocol == GracefulTcpServer::Protocol::Http1
                                 ? static_cast<QTcpSocket *>(new HttpSocket(m_context))
                                 : new ServerSocket(m_context);
        if (!socket->setSocketDescriptor(fd)) {
            qCWarning(lcNetwork, "cannot take an incoming connection: %ls",
                      qUtf16Printable(socket->errorString()));
            delete socket;
            ::close(fd);
            return;
        }
        // Counted under its own name from now on.
        SessionToken own = held->hold(SocketAccess(socket).name());
        held->reset();
        m_connections->add(SocketAccess(socket), std::move(own));
        m_connections->taken(socket);
        m_serve(socket);
    });
}

void WorkerThread::startDraining(QDeadlineTimer deadline)
{
    postCall(m_context, [this, deadline] { m_connections->startDraining(deadline); });
}

} // namespace canstop
