// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefullocalserver.h>

#include "acceptor_p.h"
#include "connectionset_p.h"
#include "managerlink_p.h"
#include "servermetrics_p.h"

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace canstop {

// The file of a listening socket as it was when the socket was bound: a
// later process (a new instance after an upgrade, or another program) may
// have put its own socket at the path since, and that file is not ours to
// remove.
class SocketFile
{
public:
    SocketFile() = default;
    explicit SocketFile(const QString &path);
    // Removes the file if the path still names the one seen at construction.
    void removeIfUnchanged() const;

private:
    QByteArray m_path;
    quint64 m_device = 0;
    quint64 m_inode = 0;
};

class GracefulLocalServerPrivate
{
    Q_DECLARE_PUBLIC(GracefulLocalServer)

public:
    explicit GracefulLocalServerPrivate(GracefulLocalServer *server);

    void startDraining();
    void closeListener();
    // Serves `fd` with the server's own notifier, never through QLocalServer,
    // whose close() removes the socket's file: a passed or stored socket's
    // file belongs to the next instance.
    void adopt(int fd);
    // Moves QLocalServer's listener to adopt(), its file kept; false (Qt
    // keeps it) when the file cannot be kept, with one warning but for a
    // socket with no file.
    bool takeFromQt();
    // Names the socket `fd` is bound to, from the kernel.
    void nameFromSocket(int fd);
    int listener() const;
    // Whether a drain leaves the kernel's queue, and the socket's file, to
    // the socket's other holder (the service manager, a new instance).
    bool leavesQueue() const;
    void share();
    // Listening: its numbers go to /metrics, under its objectName() or
    // else its full server name.
    void enterMetrics();

    GracefulLocalServer *const q_ptr;
    ManagerLink manager;
    int ownListener = -1; // adopt()'s
    QSocketNotifier *ownNotifier = nullptr;
    QString name; // serverName() and fullServerName() of an adopted socket
    QString path;
    SocketFile file;      // its file, removed when it stops if still its own
    QString listenerName; // listenInherited()'s or storeListener()'s
    bool inherited = false;
    bool stored = false;
    bool draining = false;
    DrainOptions options; // each connection takes a copy
    const std::shared_ptr<ServerStats> stats = std::make_shared<ServerStats>();
    ConnectionSet connections;
    Acceptor acceptor; // last: its hooks use the members above
};

} // namespace canstop
