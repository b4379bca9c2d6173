// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The lingers of graceful closes, alone, on real TCP connections over
// 127.0.0.1: the peer gets EOF, its input is discarded in bounded turns,
// and each session ends when its peer closes or its linger does.
#include "common/testmain.h"
#include "lingerset_p.h"

#include "common/testmanager.h"

#include <canstop/lifecyclemanager.h>

#include <QSocketNotifier>
#include <QTest>
#include <QThread>

#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using canstop::LifecycleManager;
using canstop::LingerSet;

namespace {

constexpr int Flood = 192 * 1024;         // three turns' worth
constexpr int DiscardPerTurn = 64 * 1024; // the bound lingerset.cpp promises

int unread(int fd)
{
    int bytes = -1;
    return ::ioctl(fd, FIONREAD, &bytes) == 0 ? bytes : -1;
}

// A connected pair of TCP descriptors on 127.0.0.1; the accepting side's
// receive buffer is large enough to hold the whole flood.
struct Connection
{
    int client = -1;
    int server = -1;

    Connection()
    {
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int size = 4 * Flood;
        ::setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(listener, reinterpret_cast<sockaddr *>(&address), length) == 0 &&
            ::listen(listener, 1) == 0 &&
            ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
            client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (::connect(client, reinterpret_cast<sockaddr *>(&address), length) == 0)
                server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        }
        ::close(listener);
    }
    ~Connection()
    {
        if (client >= 0)
            ::close(client);
    }
};

} // namespace

class TestLingerSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void floodIsDiscardedInBoundedTurns()
    {
        TestManager manager;
        Connection connection;
        QVERIFY(connection.server >= 0);
        const QByteArray flood(Flood, 'x');
        QCOMPARE(::send(connection.client, flood.constData(), flood.size(), 0), ssize_t(Flood));
        QTRY_COMPARE(unread(connection.server), Flood); // all of it waits at our end

        LingerSet::local()->add(connection.server, manager.holdSession(QStringLiteral("flooder")),
                                QDeadlineTimer(60000), QString());
        QCOMPARE(manager.activeSessions(), 1);

        // One turn of the event loop at a time: each takes at most one chunk.
        int before = Flood;
        for (int turn = 0; turn < 1000 && before > 0; ++turn) {
            QCoreApplication::processEvents();
            const int after = unread(connection.server);
            QVERIFY2(after >= 0 && before - after <= DiscardPerTurn,
                     qPrintable(QStringLiteral("one turn discarded %1 bytes").arg(before - after)));
            before = after;
        }
        QCOMPARE(before, 0);

        // The write side was shut at once: the peer reads EOF.
        char byte = 0;
        QCOMPARE(::recv(connection.client, &byte, 1, 0), ssize_t(0));
        // Still open, until the peer closes too: then the session ends.
        QCOMPARE(manager.activeSessions(), 1);
        ::close(connection.client);
        connection.client = -1;
        QTRY_COMPARE(manager.activeSessions(), 0);
    }

    // A hundred lingers, one notifier: each ends when its peer closes, the
    // others when their linger does.
    void eachEndsByItsPeerOrItsLinger()
    {
        TestManager manager;
        LingerSet *set = LingerSet::local();
        const qsizetype before = set->size();
        std::vector<std::unique_ptr<Connection>> connections;
        for (int i = 0; i < 100; ++i) {
            connections.push_back(std::make_unique<Connection>());
            QVERIFY(connections.back()->server >= 0);
            // The odd ones' peers never close: their linger ends them.
            set->add(connections.back()->server, manager.holdSession(QStringLiteral("peer")),
                     QDeadlineTimer(i % 2 ? 2000 : 60000), QString());
        }
        QCOMPARE(set->size(), before + 100);
        QCOMPARE(manager.activeSessions(), 100);
#if defined(Q_OS_LINUX)
        QCOMPARE(set->findChildren<QSocketNotifier *>().size(), 1);
#endif
        for (int i = 0; i < 100; i += 2) {
            ::close(connections[i]->client);
            connections[i]->client = -1;
        }
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 50, 1500);
        QTRY_COMPARE(manager.activeSessions(), 0);
        QCOMPARE(set->size(), before);
    }

    // A thread's lingers end with the thread: closed, their sessions over.
    void threadsSetEndsWithTheThread()
    {
        TestManager manager;
        Connection connection;
        QVERIFY(connection.server >= 0);
        QThread thread;
        const int fd = connection.server;
        // In the thread as it starts: ThreadSanitizer sees the thread's start
        // order this, not Qt's (uninstrumented) queue.
        connect(
            &thread, &QThread::started, &thread,
            [&] {
                LingerSet::local()->add(fd, manager.holdSession(QStringLiteral("in a thread")),
                                        QDeadlineTimer::Forever, QString());
            },
            Qt::DirectConnection);
        canstop::test::startThread(thread);
        QTRY_COMPARE(manager.activeSessions(), 1);
        thread.quit();
        QVERIFY(thread.wait(10000));
        QCOMPARE(manager.activeSessions(), 0);
        QCOMPARE(::fcntl(fd, F_GETFD), -1);
    }
};

CANSTOP_TEST_MAIN(TestLingerSet)
#include "tst_lingerset.moc"
