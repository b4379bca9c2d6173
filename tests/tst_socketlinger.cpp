// The linger of a graceful close, alone, on a real TCP connection over
// 127.0.0.1: the peer gets EOF, its input is discarded in bounded turns,
// and the session ends when the peer closes.
#include "socketlinger_p.h"

#include <canstop/lifecyclemanager.h>

#include <QTest>

#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

using canstop::LifecycleManager;
using canstop::SocketLinger;

namespace {

constexpr int Flood = 192 * 1024;         // three turns' worth
constexpr int DiscardPerTurn = 64 * 1024; // the bound socketlinger.cpp promises

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

class TestSocketLinger : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void floodIsDiscardedInBoundedTurns()
    {
        LifecycleManager manager;
        manager.setAutoExit(false);
        Connection connection;
        QVERIFY(connection.server >= 0);
        const QByteArray flood(Flood, 'x');
        QCOMPARE(::send(connection.client, flood.constData(), flood.size(), 0), ssize_t(Flood));
        QTRY_COMPARE(unread(connection.server), Flood); // all of it waits at our end

        new SocketLinger(connection.server, manager.holdSession(QStringLiteral("flooder")),
                         QDeadlineTimer(60000), QString(), &manager);
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
};

QTEST_GUILESS_MAIN(TestSocketLinger)
#include "tst_socketlinger.moc"
