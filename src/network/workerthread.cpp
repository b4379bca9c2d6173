// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "workerthread_p.h"

#include "connectionset_p.h"
#include "logging_p.h"
#include "queuedcall_p.h"
#include "serversocket_p.h"
#include "socketaccess_p.h"
#include "tlshandshakes_p.h"

#include <canstop/eventdispatcher.h>

#include <unistd.h>

#include <utility>

namespace canstop {

namespace {

// A connection on its way to a worker thread: closed if the thread ends
// before it takes it.
struct Handover
{
    Handover(int descriptor, SessionToken held) : fd(descriptor), token(std::move(held)) {}
    ~Handover()
    {
        if (fd >= 0)
            ::close(fd);
    }
    Handover(const Handover &) = delete;
    Handover &operator=(const Handover &) = delete;

    int fd;
    SessionToken token; // counts it meanwhile
};

} // namespace

WorkerThread::WorkerThread(QObject *server, Serve serve, std::shared_ptr<ServerStats> stats)
    : m_server(server), m_serve(std::move(serve)), m_stats(std::move(stats))
{}

WorkerThread::~WorkerThread()
{
    quit();
    wait();
}

void WorkerThread::startServing()
{
    EventDispatcher::installInThread(this); // epoll: idle connections cost nothing per turn
    start();
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [this] { return m_context != nullptr; });
}

void WorkerThread::run()
{
    QObject context; // parent of the connections: they end with the thread
    ConnectionSet connections(m_server, &context, m_stats);
    {
        const std::lock_guard lock(m_mutex);
        m_context = &context;
        m_connections = &connections;
    }
    m_ready.notify_one();
    exec();
    const std::lock_guard lock(m_mutex); // nothing is posted to them from now on
    m_context = nullptr;
    m_connections = nullptr;
}

void WorkerThread::adopt(int fd, const DrainOptions &options, SessionToken token,
                         std::shared_ptr<const TlsHandshakes> tls)
{
    auto handover = std::make_shared<Handover>(fd, std::move(token));
    const std::lock_guard lock(m_mutex);
    if (!m_context)
        return; // the thread has ended: the handover closes it
    postCall(m_context, [this, options, handover, tls = std::move(tls)] {
        const int descriptor = std::exchange(handover->fd, -1);
        QTcpSocket *socket = newServerSocket(options.protocol(), tls != nullptr, m_context);
        if (!socket->setSocketDescriptor(descriptor)) {
            qCWarning(lcNetwork, "cannot take an incoming connection: %ls",
                      qUtf16Printable(socket->errorString()));
            delete socket;
            ::close(descriptor);
            return;
        }
        // Counted under its own name from now on.
        SessionToken own = handover->token.hold(SocketAccess(socket).name());
        handover->token.reset();
        m_connections->add(SocketAccess(socket), std::move(own), options);
        const auto serve = [this, socket] {
            m_connections->taken(socket);
            m_serve(socket);
        };
        if (tls)
            tls->start(static_cast<QSslSocket *>(socket), serve);
        else
            serve();
    });
}

void WorkerThread::shedSilent(int most, std::chrono::milliseconds minimum)
{
    const std::lock_guard lock(m_mutex);
    if (m_context)
        postCall(m_context, [this, most, minimum] { m_connections->shedSilent(most, minimum); });
}

void WorkerThread::startDraining(QDeadlineTimer deadline)
{
    const std::lock_guard lock(m_mutex);
    if (m_context)
        postCall(m_context, [this, deadline] { m_connections->startDraining(deadline); });
}

} // namespace canstop
