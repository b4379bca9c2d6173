// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// GracefulLocalServer in process, with QLocalSocket clients (and a raw Unix
// socket where Qt would hide a reset): the drain checks of the TCP server.
#include "common/childprocess.h"
#include "common/notifyreceiver.h"
#include "common/testmain.h"

#include "common/rawreceiver.h"
#include "common/resetstorm.h"
#include "common/testmanager.h"

#include <canstop/gracefullocalserver.h>
#include <canstop/lifecyclemanager.h>

#include <QDir>
#include <QFileInfo>
#include <QLocalSocket>
#include <QPointer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using canstop::GracefulLocalServer;
using canstop::LifecycleManager;
using namespace std::chrono_literals;

namespace {

// A server name of this process's own.
QString uniqueName()
{
    static int count = 0;
    return QStringLiteral("canstop-test-%1-%2").arg(::getpid()).arg(++count);
}

// An echo: each connection taken as it comes, every byte sent back.
void serveEcho(GracefulLocalServer &server)
{
    QObject::connect(&server, &QLocalServer::newConnection, &server, [&server] {
        while (QLocalSocket *connection = server.nextPendingConnection()) {
            QObject::connect(connection, &QIODevice::readyRead, connection,
                             [connection] { connection->write(connection->readAll()); });
        }
    });
}

// Keeps what `socket` receives as it comes: Qt drops a socket's buffer
// when it reads the peer's EOF.
struct Received
{
    QByteArray data;
    explicit Received(QLocalSocket &socket)
    {
        QObject::connect(&socket, &QIODevice::readyRead, &socket,
                         [this, &socket] { data += socket.readAll(); });
    }
};

// A Unix socket connected to `path` (queued in the listener's backlog if
// nobody has accepted it yet), or -1; the caller closes it.
int connectRaw(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    qstrncpy(address.sun_path, QFile::encodeName(path).constData(), sizeof address.sun_path);
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0)
        return fd;
    ::close(fd);
    return -1;
}

// A Unix socket listening at `path`, or -1; the caller closes it.
int listenRaw(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    qstrncpy(address.sun_path, QFile::encodeName(path).constData(), sizeof address.sun_path);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0 &&
        ::listen(fd, 8) == 0)
        return fd;
    ::close(fd);
    return -1;
}

} // namespace

class TestGracefulLocalServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // Clients the kernel queued before the application ever ran its event
    // loop are taken and served at the drain; then listening stops and the
    // socket file is gone.
    void kernelQueueIsServedThenListeningStops()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        serveEcho(server);
        QVERIFY(server.listen(uniqueName()));
        const QString path = server.fullServerName();

        std::vector<std::unique_ptr<QLocalSocket>> clients;
        std::vector<std::unique_ptr<Received>> received;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(std::make_unique<QLocalSocket>());
            received.push_back(std::make_unique<Received>(*clients.back()));
            clients.back()->connectToServer(path);
            QVERIFY(clients.back()->waitForConnected(5000));
            clients.back()->write("hello");
            QVERIFY(clients.back()->waitForBytesWritten(5000));
        }
        QCOMPARE(manager.activeSessions(), 0); // all still in the kernel's queue

        QSignalSpy draining(&server, &GracefulLocalServer::drainingStarted);
        manager.requestShutdown();
        QCOMPARE(draining.count(), 1);
        QVERIFY(!server.isListening());
        QVERIFY(!QFile::exists(path));
        QCOMPARE(manager.activeSessions(), 5);

        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), 5);
        for (size_t i = 0; i < clients.size(); ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(clients[i]->state(), QLocalSocket::UnconnectedState, 10000);
            QCOMPARE(received[i]->data, QByteArray("hello"));
        }
        QLocalSocket late;
        late.connectToServer(path);
        QVERIFY(!late.waitForConnected(1000));
    }

    // A socket handed to the fd store is the server's own from then on:
    // isListening(), fullServerName() and close() see it, a client is served
    // through it, and neither the drain nor close() removes its file, which
    // the next instance needs.
    void storedSocketKeepsItsFile()
    {
        NotifyReceiver systemd;
        qputenv("NOTIFY_SOCKET", systemd.address());
        qputenv("FDSTORE", "1");
        TestManager manager;
        QVERIFY(manager.useSystemd());
        GracefulLocalServer server(&manager);
        serveEcho(server);
        QVERIFY(server.listen(uniqueName()));
        const QString path = server.fullServerName();
        QVERIFY(server.storeListener(QStringLiteral("local")));
        const auto stored = systemd.waitFor("FDSTORE=1");
        QVERIFY(stored);
        QCOMPARE(stored->fds.size(), 1);
        const int kept = stored->fds.first();
        const auto closeKept = qScopeGuard([kept] { ::close(kept); });
        QVERIFY(server.isListening());
        QCOMPARE(server.fullServerName(), path);
        QVERIFY(!server.QLocalServer::isListening()); // Qt's would remove the file on close()

        QLocalSocket client;
        client.connectToServer(path);
        QVERIFY(client.waitForConnected(5000));
        client.write("stored");
        QTRY_COMPARE_WITH_TIMEOUT(client.bytesAvailable(), qint64(6), 10000);

        server.close();
        QVERIFY(!server.isListening());
        QVERIFY(QFile::exists(path));
        QLocalSocket queued; // waits on the stored socket for the next instance
        queued.connectToServer(path);
        QVERIFY(queued.waitForConnected(5000));
        ::unlink(QFile::encodeName(path).constData());
    }

    void markedBusyConnectionWaitsForMarkIdle()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        QLocalSocket client;
        Received received(client);
        client.connectToServer(server.fullServerName());
        QVERIFY(client.waitForConnected(5000));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        QLocalSocket *connection = server.nextPendingConnection();
        server.markBusy(connection);
        // An idle connection, closed once quiet for the idle grace: a witness
        // that the grace has passed for the busy one too.
        QLocalSocket witness;
        witness.connectToServer(server.fullServerName());
        QVERIFY(witness.waitForConnected(5000));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        server.nextPendingConnection();

        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(witness.state(), QLocalSocket::UnconnectedState, 10000);
        QCOMPARE(manager.state(), LifecycleManager::State::Stopping);
        QCOMPARE(client.state(), QLocalSocket::ConnectedState);

        connection->write("reply");
        server.markIdle(connection);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 10000);
        QCOMPARE(received.data, QByteArray("reply"));
    }

    // Busy at the deadline: closed in time, named with why, abandoned.
    void busyAtTheDeadlineIsAbandoned()
    {
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(1500ms));
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        QLocalSocket client;
        client.connectToServer(server.fullServerName());
        QVERIFY(client.waitForConnected(5000));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        server.markBusy(server.nextPendingConnection());

        const QRegularExpression why(
            QStringLiteral(
                "^local connection from process %1 closed at the shutdown deadline: marked busy$")
                .arg(::getpid()));
        QTest::ignoreMessage(QtWarningMsg, why);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().totalMs() < 2000);
        QCOMPARE(manager.report().sessionsAbandoned(), 1);
        QVERIFY(
            manager.report().abandonedSessions().at(0).endsWith(QStringLiteral("(marked busy)")));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 10000);
    }

    // Taken late, in the drain: a connection stays pending until then.
    void untakenConnectionsStayPendingThroughTheDrain()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        QLocalSocket client;
        Received received(client);
        client.connectToServer(server.fullServerName());
        QVERIFY(client.waitForConnected(5000));
        client.write("request");
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);

        // The application takes its connections lazily: not yet.
        manager.requestShutdown();
        QVERIFY(!server.isListening());
        QVERIFY(server.hasPendingConnections());
        QLocalSocket *connection = server.nextPendingConnection();
        QTRY_COMPARE_WITH_TIMEOUT(connection->bytesAvailable(), qint64(7), 10000);
        QCOMPARE(connection->readAll(), QByteArray("request"));
        connection->write("reply");
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 10000);
        QCOMPARE(received.data, QByteArray("reply"));
    }

    // The application closes a connection while its peer still sends:
    // the peer gets the reply and an EOF, never EPIPE or ECONNRESET.
    void applicationCloseIsGraceful()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const auto closeClient = qScopeGuard([client] { ::close(client); });
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(server.fullServerName());
        qstrncpy(address.sun_path, path.constData(), sizeof address.sun_path);
        QCOMPARE(::connect(client, reinterpret_cast<const sockaddr *>(&address), sizeof address),
                 0);
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
        QLocalSocket *connection = server.nextPendingConnection();
        QSignalSpy disconnected(connection, &QLocalSocket::disconnected);

        connection->write("reply");
        connection->close();
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, 10000);
        QCOMPARE(manager.activeSessions(), 1); // lingering: the peer has not closed
        // Sent after the close: to a closed socket, EPIPE.
        QCOMPARE(::send(client, "late", 4, MSG_NOSIGNAL), 4);

        RawReceiver received(client);
        QTRY_VERIFY_WITH_TIMEOUT(received.receive(), 10000);
        QCOMPARE(received.data, QByteArray("reply"));
        QCOMPARE(received.error, 0); // an EOF
        ::shutdown(client, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
    }

    // The example as a child process: SIGTERM mid-conversation, the client
    // gets its echo and an EOF, the server exits 0.
    void exampleDrainsOnSigterm()
    {
        const QString name = uniqueName();
        ChildProcess echo(QString::fromLocal8Bit(qgetenv("CANSTOP_LOCAL_ECHO")), {name});
        QVERIFY2(echo.waitForOutput("listening on"), echo.stdErr().constData());
        QLocalSocket client;
        Received received(client);
        client.connectToServer(name);
        QVERIFY(client.waitForConnected(5000));
        client.write("hello");
        QTRY_COMPARE_WITH_TIMEOUT(received.data, QByteArray("hello"), 10000);
        client.write(" again");
        QVERIFY(client.waitForBytesWritten(5000));
        echo.signal(SIGTERM);
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 10000);
        QCOMPARE(received.data, QByteArray("hello again"));
        QCOMPARE(echo.waitForExit(10000), 0);
        QVERIFY(echo.stdErr().contains("1 session(s) drained"));
    }

    // Clients that exit holding unread echoes, in a storm (which resets the
    // connection while Qt still holds a reply): the server outlives them
    // all, counts every one of them out, and serves the next as before.
    void survivesClientsThatResetUnread()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        serveEcho(server);
        QVERIFY(server.listen(uniqueName()));
        constexpr int Clients = 300;
        ResetStorm storm(server.fullServerName(), QByteArray(200000, 'x'), Clients);
        storm.start();
        QTRY_COMPARE_WITH_TIMEOUT(storm.done(), Clients, 60000);
        QCOMPARE(storm.failed(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        QLocalSocket client;
        Received received(client);
        client.connectToServer(server.fullServerName());
        QVERIFY(client.waitForConnected(5000));
        client.write("ping");
        QTRY_COMPARE_WITH_TIMEOUT(received.data, QByteArray("ping"), 10000);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // The application cuts every connection of a socket it is done with,
    // then deletes it: the drain forgets it all the same.
    void socketCutByDisconnectIsForgotten()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        for (int i = 0; i < 3; ++i) {
            QLocalSocket client;
            client.connectToServer(server.fullServerName());
            QVERIFY(client.waitForConnected(5000));
            QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 10000);
            QLocalSocket *connection = server.nextPendingConnection();
            connection->disconnect();
            connection->deleteLater();
            QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 10000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // In the drain's accept loop, a newConnection() slot closes the server
    // and opens another listener on the same descriptor number, where a
    // client waits: the server takes nothing of the other's.
    void aSlotThatClosesAndReopensIsHeard()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QVERIFY(server.listen(uniqueName()));
        QLocalServer other;
        const QString othersPath = QDir::temp().filePath(uniqueName());
        const auto removePath = qScopeGuard([&] { QFile::remove(othersPath); });
        int othersClient = -1;
        int emitted = 0;
        connect(&server, &QLocalServer::newConnection, &server, [&] {
            if (++emitted > 1)
                return;
            QVERIFY(server.nextPendingConnection());
            const int descriptor = int(server.socketDescriptor());
            server.close();
            const int fd =
                ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); // most likely that number
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            qstrncpy(address.sun_path, QFile::encodeName(othersPath).constData(),
                     sizeof address.sun_path);
            QCOMPARE(::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
            QCOMPARE(::listen(fd, 8), 0);
            if (fd != descriptor) {
                QVERIFY(::dup2(fd, descriptor) == descriptor);
                ::close(fd);
            }
            QVERIFY(other.listen(qintptr(descriptor)));
            othersClient = connectRaw(othersPath);
            QVERIFY(othersClient >= 0);
        });
        const auto closeClients = qScopeGuard([&] { ::close(othersClient); });
        const int first = connectRaw(server.fullServerName());
        const int second = connectRaw(server.fullServerName());
        const auto closeOurs = qScopeGuard([=] {
            ::close(first);
            ::close(second);
        });
        QVERIFY(first >= 0 && second >= 0);
        manager.requestShutdown();
        QCOMPARE(emitted, 1);
        QTRY_VERIFY_WITH_TIMEOUT(other.hasPendingConnections(), 10000);
        QCOMPARE(manager.activeSessions(), 1); // the first client, not the other's
        ::shutdown(first, SHUT_WR);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QCOMPARE(manager.report().sessionsDrained(), 1);
    }

    // In the drain's accept loop, a newConnection() slot deletes the server
    // while clients wait: nothing reads it afterwards (ASan would say so).
    void aSlotThatDeletesTheServer()
    {
        TestManager manager;
        QPointer<GracefulLocalServer> server = new GracefulLocalServer(&manager);
        QVERIFY(server->listen(uniqueName()));
        int emitted = 0;
        connect(server, &QLocalServer::newConnection, server, [&] {
            ++emitted;
            delete server.data();
        });
        const int first = connectRaw(server->fullServerName());
        const int second = connectRaw(server->fullServerName());
        const auto closeClients = qScopeGuard([=] {
            ::close(first);
            ::close(second);
        });
        QVERIFY(first >= 0 && second >= 0);
        manager.requestShutdown();
        QVERIFY(server.isNull());
        QCOMPARE(emitted, 1);
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
    }

    // Out of file descriptors, the example keeps listening (Qt's own
    // QLocalServer closes for good and deletes its socket file): what waits
    // in the kernel's queue is served as descriptors free up.
    void outOfDescriptorsKeepsListening()
    {
        const QString name = uniqueName();
        ChildProcess echo(QStringLiteral("/bin/sh"),
                          {QStringLiteral("-c"),
                           QStringLiteral("ulimit -n 48 && exec \"$0\" \"$1\""),
                           QString::fromLocal8Bit(qgetenv("CANSTOP_LOCAL_ECHO")), name});
        QVERIFY2(echo.waitForOutput("listening on"), echo.stdErr().constData());
        const QString path = QDir::temp().filePath(name);
        constexpr int Clients = 60; // more than the server can hold; fewer than its backlog more
        std::vector<int> clients;
        const auto closeClients = qScopeGuard([&] {
            for (const int fd : clients)
                ::close(fd);
        });
        for (int i = 0; i < Clients; ++i) {
            clients.push_back(connectRaw(path));
            QVERIFY(clients.back() >= 0);
            QCOMPARE(::send(clients.back(), "x", 1, MSG_NOSIGNAL), 1);
        }
        const auto echoed = [&clients](size_t from, size_t to) {
            size_t count = 0;
            for (size_t i = from; i < to; ++i) {
                char byte = 0;
                count += ::recv(clients[i], &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 1;
            }
            return count;
        };
        QVERIFY2(echo.waitForOutput("wait in the kernel's queue"), echo.stdErr().constData());
        const size_t served = echoed(0, clients.size());
        QVERIFY2(served > 0 && served < clients.size(), QByteArray::number(qulonglong(served)));
        QVERIFY(QFile::exists(path)); // still listening

        // The first half go: the rest are taken and served.
        for (size_t i = 0; i < clients.size() / 2; ++i)
            ::close(std::exchange(clients[i], -1));
        QTRY_COMPARE_WITH_TIMEOUT(echoed(clients.size() / 2, clients.size()),
                                  clients.size() - clients.size() / 2, 20000);
        echo.signal(SIGTERM);
        for (size_t i = clients.size() / 2; i < clients.size(); ++i)
            ::shutdown(clients[i], SHUT_WR);
        QCOMPARE(echo.waitForExit(20000), 0);
    }

    // Generic code holds a QLocalServer * and calls its listen() (not
    // virtual): the server finds its manager and drains all the same.
    void listenThroughABasePointer()
    {
        TestManager manager;
        GracefulLocalServer server; // follows the application's manager
        QLocalServer *base = &server;
        QVERIFY(base->listen(uniqueName()));
        QTest::qWait(0); // the next turn of the event loop
        QLocalSocket client;
        Received received(client);
        client.connectToServer(base->fullServerName());
        QVERIFY(client.waitForConnected(5000));
        QTRY_VERIFY_WITH_TIMEOUT(base->hasPendingConnections(), 10000);
        QLocalSocket *connection = base->nextPendingConnection();
        QCOMPARE(manager.activeSessions(), 1);
        manager.requestShutdown();
        QVERIFY(server.isDraining());
        QVERIFY(!base->isListening());
        connection->write("bye");
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 10000);
        QVERIFY(manager.report().isClean());
        QTRY_COMPARE_WITH_TIMEOUT(received.data, QByteArray("bye"), 10000);
    }

    // Listening begun through the base class, and no connection before the
    // shutdown: the server still finds its manager and stops listening.
    void listenThroughABasePointerThenShutDown()
    {
        TestManager manager;
        GracefulLocalServer server;
        QLocalServer *base = &server;
        QVERIFY(base->listen(uniqueName()));
        const QString path = base->fullServerName();
        QTest::qWait(0); // the next turn of the event loop
        manager.requestShutdown();
        QVERIFY(server.isDraining());
        QVERIFY(!base->isListening());
        QVERIFY(!QFile::exists(path));
    }

    // The server serves its socket itself, not through QLocalServer, whose
    // close() removes the file whoever's socket it names by then: its
    // names, descriptor and waitForNewConnection() are its own, and when it
    // stops the file goes only if it still names this server's socket.
    void theSocketFileIsRemovedOnlyWhileItIsItsOwn()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        const QString name = uniqueName();
        QVERIFY(server.listen(name));
        const QString path = QDir::temp().filePath(name);
        QCOMPARE(server.serverName(), name);
        QCOMPARE(server.fullServerName(), path);
        QVERIFY(server.socketDescriptor() >= 0);
        QVERIFY(!server.QLocalServer::isListening());
        bool timedOut = false;
        QVERIFY(!server.waitForNewConnection(10, &timedOut));
        QVERIFY(timedOut);
        const int client = connectRaw(path);
        const auto closeClient = qScopeGuard([client] { ::close(client); });
        QVERIFY(client >= 0);
        QVERIFY(server.waitForNewConnection(5000, &timedOut));
        QVERIFY(!timedOut);
        QVERIFY(server.nextPendingConnection());
        QCOMPARE(manager.activeSessions(), 1);

        // Another process's socket takes the path over, as a new instance's does.
        const QString spare = path + QStringLiteral(".new");
        const int other = listenRaw(spare);
        const auto closeOther = qScopeGuard([other, &path] {
            ::close(other);
            QFile::remove(path);
        });
        QVERIFY(other >= 0);
        QCOMPARE(
            ::rename(QFile::encodeName(spare).constData(), QFile::encodeName(path).constData()), 0);
        server.close();
        QVERIFY(!server.isListening());
        QVERIFY(server.fullServerName().isEmpty());
        QVERIFY(QFile::exists(path));
        const int toOther = connectRaw(path); // waits in the other socket's queue
        QVERIFY(toOther >= 0);
        ::close(toOther);

        // A socket given as a descriptor: named by the kernel, its file
        // removed when it stops, as QLocalServer does.
        const QString givenPath = QDir::temp().filePath(uniqueName());
        const int given = listenRaw(givenPath);
        QVERIFY(given >= 0);
        GracefulLocalServer byDescriptor(&manager);
        QVERIFY(byDescriptor.listen(qintptr(given)));
        QCOMPARE(byDescriptor.fullServerName(), givenPath);
        QCOMPARE(byDescriptor.serverName(), QFileInfo(givenPath).fileName());
        QCOMPARE(byDescriptor.socketDescriptor(), qintptr(given));
        byDescriptor.close();
        QVERIFY(!QFile::exists(givenPath));
    }

    // The example's options: --help helps (and starts no server named
    // "--help"); what it does not know is refused with status 2.
    void exampleOptions()
    {
        ChildProcess help(QString::fromLocal8Bit(qgetenv("CANSTOP_LOCAL_ECHO")),
                          {QStringLiteral("--help")});
        QCOMPARE(help.waitForExit(20000), 0);
        QVERIFY2(help.stdOut().contains("drains gracefully"), help.stdOut().constData());
        QVERIFY(!QFile::exists(QDir::temp().filePath(QStringLiteral("--help"))));
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("--frobnicate")},
              QStringList{QStringLiteral("a"), QStringLiteral("b")}}) {
            ChildProcess bad(QString::fromLocal8Bit(qgetenv("CANSTOP_LOCAL_ECHO")), arguments);
            QCOMPARE(bad.waitForExit(20000), 2);
            QVERIFY(!bad.stdErr().contains("listening on"));
        }
    }

    void badInput()
    {
        TestManager manager;
        GracefulLocalServer server(&manager);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("maxPendingOutput of 0")));
        QVERIFY(!server.setMaxPendingOutput(0));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("linger of -5 ms")));
        QVERIFY(!server.setLinger(-5ms));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("idle grace of -1")));
        QVERIFY(!server.setIdleGrace(-1ms));
        QCOMPARE(server.idleGrace(), 250ms);
        QLocalSocket stranger;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markBusy\\(\\): not")));
        server.markBusy(&stranger);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("markIdle\\(\\): not")));
        server.markIdle(nullptr);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("without a LifecycleManager")));
        GracefulLocalServer plain(static_cast<LifecycleManager *>(nullptr));
        QVERIFY(plain.listen(uniqueName()));
    }
};

CANSTOP_TEST_MAIN(TestGracefulLocalServer)
#include "tst_gracefullocalserver.moc"
