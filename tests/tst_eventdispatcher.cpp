// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// canstop::EventDispatcher against Qt's contract for an event dispatcher,
// installed in this test's main thread and in its threads: posted events,
// wake-ups and interrupt() from other threads, socket notifiers (several
// on a descriptor, toggled and removed inside their own activation,
// thousands at once), the three timer types and their accuracy, nested
// loops, QThread loops, and Qt's own sockets and processes running on it.
#include "eventdispatcher_p.h"
#include "queuedcall_p.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using canstop::EventDispatcher;
using canstop::HandOff;
using canstop::postCall;

namespace {

// Generous: a loaded CI machine under a sanitizer is slow, never this slow.
constexpr int LateBoundMs = 2000;

// A connected pair of stream sockets, closed with it.
struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fd); }
    ~SocketPair()
    {
        ::close(fd[0]);
        ::close(fd[1]);
    }
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;
    void send(int side = 1) const { QCOMPARE_EQ(::write(fd[side], "x", 1), 1); }
    void drain(int side = 0) const
    {
        char buffer[64];
        while (::read(fd[side], buffer, sizeof buffer) > 0) {
        }
    }
};

// A blocking TCP socket connected to 127.0.0.1:`port` (its receive buffer
// `receiveBuffer` bytes unless 0), or -1.
int connectedTo(quint16 port, int receiveBuffer = 0)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receiveBuffer > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

EventDispatcher *mainDispatcher()
{
    return qobject_cast<EventDispatcher *>(QAbstractEventDispatcher::instance());
}

// Deletes `object` in its thread, then ends that thread's loop: nothing of
// it is left over, and nothing of this thread's stack is read there (a
// blocking queued call would be, ordered by a mutex TSan cannot see).
void deleteThenQuit(QObject *object)
{
    postCall(object, [object] {
        delete object;
        QThread::currentThread()->quit();
    });
}

class TimerCounter : public QObject
{
public:
    std::vector<int> fired;
    std::function<void(int)> onTimer;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        {
            const HandOff delivered; // set up in another thread: see timersMoveWithTheirObject()
        }
        fired.push_back(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

} // namespace

class TestEventDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void installedInTheMainThread()
    {
        QVERIFY(mainDispatcher());
        QTest::ignoreMessage(QtWarningMsg,
                             "installInMainThread(): the main thread has its event dispatcher "
                             "already; call it before the QCoreApplication is made");
        QVERIFY(!EventDispatcher::installInMainThread());
    }

    void environmentWord_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<int>("choice"); // 1 canstop, 0 qt, -1 refused
        QTest::newRow("canstop") << QByteArray("canstop") << 1;
        QTest::newRow("qt") << QByteArray("qt") << 0;
        QTest::newRow("case and spaces") << QByteArray(" Qt\n") << 0;
        QTest::newRow("empty") << QByteArray() << -1;
        QTest::newRow("glib") << QByteArray("glib") << -1;
        QTest::newRow("prefix") << QByteArray("qtx") << -1;
    }
    void environmentWord()
    {
        QFETCH(QByteArray, value);
        QFETCH(int, choice);
        const std::optional<bool> parsed = canstop::parseDispatcherChoice(value);
        QCOMPARE(parsed ? int(*parsed) : -1, choice);
    }

    void postedEventsFromManyThreads()
    {
        constexpr int Threads = 4;
        constexpr int EachPosts = 5000;
        QObject receiver;
        std::vector<int> last(Threads, -1);
        int delivered = 0;
        bool inOrder = true;
        std::vector<std::thread> posters;
        for (int t = 0; t < Threads; ++t) {
            posters.emplace_back([&receiver, &last, &delivered, &inOrder, t] {
                for (int i = 0; i < EachPosts; ++i) {
                    QMetaObject::invokeMethod(
                        &receiver,
                        [&last, &delivered, &inOrder, t, i] {
                            inOrder = inOrder && last[size_t(t)] == i - 1;
                            last[size_t(t)] = i;
                            ++delivered;
                        },
                        Qt::QueuedConnection);
                }
            });
        }
        for (auto &poster : posters)
            poster.join();
        QTRY_COMPARE(delivered, Threads * EachPosts);
        QVERIFY(inOrder);
    }

    void wakeUpAndInterruptEndAWait_data()
    {
        QTest::addColumn<bool>("interrupt");
        QTest::newRow("wakeUp") << false;
        QTest::newRow("interrupt") << true;
    }
    void wakeUpAndInterruptEndAWait()
    {
        QFETCH(bool, interrupt);
        EventDispatcher *dispatcher = mainDispatcher();
        std::atomic<bool> blocking{false};
        const auto connection = connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, this,
                                        [&blocking] { blocking = true; });
        std::thread waker([dispatcher, &blocking, interrupt] {
            while (!blocking)
                std::this_thread::yield();
            if (interrupt)
                dispatcher->interrupt();
            else
                dispatcher->wakeUp();
        });
        // No timer, no socket: only the other thread can end this wait.
        QElapsedTimer waited;
        waited.start();
        dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
        waker.join();
        disconnect(connection);
        QVERIFY(blocking);
        QCOMPARE_LT(waited.elapsed(), LateBoundMs);
    }

    void interruptBeforeTheWaitReturnsAtOnce()
    {
        EventDispatcher *dispatcher = mainDispatcher();
        QObject context;
        QMetaObject::invokeMethod(
            &context, [dispatcher] { dispatcher->interrupt(); }, Qt::QueuedConnection);
        QElapsedTimer waited;
        waited.start();
        QVERIFY(!dispatcher->processEvents(QEventLoop::WaitForMoreEvents));
        QCOMPARE_LT(waited.elapsed(), LateBoundMs);
    }

    void readAndWriteNotifiers()
    {
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        QSignalSpy reads(&read, &QSocketNotifier::activated);
        QTest::qWait(0);
        QCOMPARE(reads.count(), 0);
        pair.send();
        QTRY_COMPARE_GE(reads.count(), 1);
        // Level triggered: it is activated again as long as data is unread.
        const auto before = reads.count();
        QTRY_COMPARE_GT(reads.count(), before);
        pair.drain();
        QCoreApplication::processEvents();
        const auto drained = reads.count();
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        QCOMPARE(reads.count(), drained);

        QSocketNotifier write(pair.fd[0], QSocketNotifier::Write);
        QSignalSpy writes(&write, &QSocketNotifier::activated);
        QTRY_COMPARE_GE(writes.count(), 1);
        QCOMPARE(reads.count(), drained); // its neighbour on the descriptor is left alone
    }

    void aQtSocketsReplyLeavesInTheTurnItIsWritten()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const int client = connectedTo(server.serverPort());
        QVERIFY(client >= 0);
        QVERIFY(server.waitForNewConnection(LateBoundMs));
        std::unique_ptr<QTcpSocket> peer(server.nextPendingConnection());
        bool answered = false;
        connect(peer.get(), &QTcpSocket::readyRead, this, [&] {
            peer->write(peer->readAll());
            answered = true;
        });
        QCOMPARE_EQ(::send(client, "ping", 4, 0), 4);
        QElapsedTimer waited;
        waited.start();
        while (!answered && waited.elapsed() < LateBoundMs)
            mainDispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
        QVERIFY(answered);
        // No further turn: the turn that read the request sent the reply.
        char reply[8] = {};
        QCOMPARE_EQ(::recv(client, reply, sizeof reply, MSG_DONTWAIT), 4);
        QCOMPARE(QByteArray(reply, 4), QByteArray("ping"));
        ::close(client);
    }

    void qtSocketsOutputBeyondWhatTheKernelTakesArrivesWhole()
    {
        // More than the kernel's buffers hold: the first try leaves output,
        // which then waits for epoll to report room, again and again.
        constexpr qint64 Size = 16 * 1024 * 1024;
        std::atomic<qint64> received{0};
        std::thread reader;
        // Joined after the server is gone, even when a check fails: its
        // connection is reset then, if nothing else ended it.
        const auto joined = qScopeGuard([&reader] {
            if (reader.joinable())
                reader.join();
        });
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const quint16 port = server.serverPort();
        reader = std::thread([port, &received] {
            const int fd = connectedTo(port, 4096);
            char buffer[65536];
            ssize_t n;
            while (fd >= 0 && (n = ::read(fd, buffer, sizeof buffer)) > 0)
                received.fetch_add(n, std::memory_order_relaxed);
            ::close(fd);
        });
        QVERIFY(server.waitForNewConnection(LateBoundMs));
        std::unique_ptr<QTcpSocket> sender(server.nextPendingConnection());
        qint64 written = 0;
        connect(sender.get(), &QTcpSocket::bytesWritten, this,
                [&written](qint64 bytes) { written += bytes; });
        sender->write(QByteArray(Size, 'x'));
        QTRY_COMPARE_WITH_TIMEOUT(written, Size, LateBoundMs * 5);
        sender->disconnectFromHost(); // all written: the FIN ends the reader
        reader.join();
        QCOMPARE(received.load(), Size);
    }

    void connectingQtSocketsLearnTheOutcome()
    {
        // A connecting socket's write notifier says when the connection is
        // made or refused; a try before that leaves it connecting.
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket accepted;
        accepted.connectToHost(QHostAddress::LocalHost, server.serverPort());
        accepted.write("early");
        QSignalSpy connected(&accepted, &QTcpSocket::connected);
        QVERIFY(connected.wait(LateBoundMs));
        QTRY_VERIFY(server.hasPendingConnections());
        std::unique_ptr<QTcpSocket> peer(server.nextPendingConnection());
        QByteArray arrived;
        QTRY_COMPARE((arrived += peer->readAll()), QByteArray("early"));

        const quint16 closedPort = server.serverPort();
        server.close();
        QTcpSocket refused;
        QSignalSpy errors(&refused, &QTcpSocket::errorOccurred);
        refused.connectToHost(QHostAddress::LocalHost, closedPort);
        QVERIFY(errors.wait(LateBoundMs));
        QCOMPARE(refused.error(), QAbstractSocket::ConnectionRefusedError);
    }

    void otherWriteNotifiersWaitForRoom()
    {
        // A notifier Qt's sockets do not own is activated only once epoll
        // reports room: its owner may take a write that fails for an error.
        int pipe[2];
        QCOMPARE_EQ(::pipe2(pipe, O_CLOEXEC | O_NONBLOCK), 0);
        char chunk[4096] = {};
        while (::write(pipe[1], chunk, sizeof chunk) > 0) {
        }
        QSocketNotifier write(pipe[1], QSocketNotifier::Write);
        QSignalSpy writes(&write, &QSocketNotifier::activated);
        for (int turn = 0; turn < 3; ++turn)
            QCoreApplication::processEvents();
        QCOMPARE(writes.count(), 0);
        while (::read(pipe[0], chunk, sizeof chunk) > 0) {
        }
        QTRY_COMPARE_GE(writes.count(), 1);
        ::close(pipe[0]);
        ::close(pipe[1]);
    }

    void exceptionNotifierSeesUrgentData()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(server.waitForNewConnection(LateBoundMs));
        std::unique_ptr<QTcpSocket> accepted(server.nextPendingConnection());
        QVERIFY(client.waitForConnected(LateBoundMs));
        const int fd = int(accepted->socketDescriptor());
        QSocketNotifier exception(fd, QSocketNotifier::Exception);
        QSignalSpy exceptions(&exception, &QSocketNotifier::activated);
        QCOMPARE_EQ(::send(int(client.socketDescriptor()), "!", 1, MSG_OOB), 1);
        QTRY_COMPARE_GE(exceptions.count(), 1);
    }

    void enabledAndDisabled()
    {
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        QSignalSpy reads(&read, &QSocketNotifier::activated);
        read.setEnabled(false);
        pair.send();
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        QCOMPARE(reads.count(), 0);
        read.setEnabled(true);
        QTRY_COMPARE_GE(reads.count(), 1);
    }

    void notifiersChangedInsideTheirActivation()
    {
        SocketPair first;
        SocketPair second;
        SocketPair third;
        auto *a = new QSocketNotifier(first.fd[0], QSocketNotifier::Read);
        auto *b = new QSocketNotifier(second.fd[0], QSocketNotifier::Read);
        QPointer<QSocketNotifier> added;
        int aFired = 0;
        int bFired = 0;
        int addedFired = 0;
        // Whichever is activated first deletes the other (both are ready in
        // the same turn), disables itself, and adds a notifier on a
        // descriptor that is ready too: the deleted one is never activated.
        const auto onActivated = [&](QSocketNotifier *self, QSocketNotifier *&other, int &count) {
            ++count;
            delete std::exchange(other, nullptr);
            self->setEnabled(false);
            if (!added) {
                added = new QSocketNotifier(third.fd[0], QSocketNotifier::Read, this);
                connect(added, &QSocketNotifier::activated, this, [&] { ++addedFired; });
            }
        };
        QSocketNotifier *aRef = a;
        QSocketNotifier *bRef = b;
        connect(a, &QSocketNotifier::activated, this, [&, aRef] { onActivated(aRef, b, aFired); });
        connect(b, &QSocketNotifier::activated, this, [&, bRef] { onActivated(bRef, a, bFired); });
        first.send();
        second.send();
        third.send();
        QTRY_COMPARE_GE(addedFired, 1);
        QCOMPARE(aFired + bFired, 1);
        delete a;
        delete b;
        delete added;
    }

    void thousandsOfNotifiers()
    {
        constexpr int Pairs = 2000;
        rlimit limit{};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
        const rlim_t wanted = 2 * Pairs + 256;
        if (limit.rlim_cur < wanted && limit.rlim_max >= wanted) {
            limit.rlim_cur = wanted;
            QCOMPARE(::setrlimit(RLIMIT_NOFILE, &limit), 0);
        }
        QVERIFY2(limit.rlim_cur >= wanted, "the test needs 4,256 descriptors");

        std::vector<std::unique_ptr<SocketPair>> pairs;
        std::vector<std::unique_ptr<QSocketNotifier>> notifiers;
        std::vector<int> activated(Pairs, 0);
        for (int i = 0; i < Pairs; ++i) {
            pairs.push_back(std::make_unique<SocketPair>());
            notifiers.push_back(
                std::make_unique<QSocketNotifier>(pairs.back()->fd[0], QSocketNotifier::Read));
            connect(notifiers.back().get(), &QSocketNotifier::activated, this,
                    [&activated, &pairs, i] {
                        ++activated[size_t(i)];
                        pairs[size_t(i)]->drain();
                    });
        }
        // Every 7th is made readable: exactly those are activated, once each.
        int expected = 0;
        for (int i = 0; i < Pairs; i += 7) {
            pairs[size_t(i)]->send();
            ++expected;
        }
        const auto total = [&activated] {
            int sum = 0;
            for (const int count : activated)
                sum += count;
            return sum;
        };
        QTRY_COMPARE(total(), expected);
        QCoreApplication::processEvents();
        for (int i = 0; i < Pairs; ++i)
            QCOMPARE(activated[size_t(i)], i % 7 == 0 ? 1 : 0);
        notifiers.clear(); // each unregisters
        pairs.clear();
    }

    void descriptorEpollRefusesIsAlwaysReady()
    {
        QTemporaryFile file;
        QVERIFY(file.open());
        QSocketNotifier read(file.handle(), QSocketNotifier::Read);
        QSignalSpy reads(&read, &QSocketNotifier::activated);
        QTRY_COMPARE_GE(reads.count(), 2); // as poll() says of a regular file
        read.setEnabled(false);
        const auto disabled = reads.count();
        QCoreApplication::processEvents();
        QCOMPARE(reads.count(), disabled);
    }

    void excludeSocketNotifiers()
    {
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        QSignalSpy reads(&read, &QSocketNotifier::activated);
        pair.send();
        bool posted = false;
        QMetaObject::invokeMethod(
            this, [&posted] { posted = true; }, Qt::QueuedConnection);
        QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers);
        QVERIFY(posted);
        QCOMPARE(reads.count(), 0);
        QTRY_COMPARE_GE(reads.count(), 1);
    }

    void timerAccuracy_data()
    {
        QTest::addColumn<Qt::TimerType>("type");
        QTest::addColumn<int>("interval");
        QTest::addColumn<int>("earliest"); // ms after the start
        QTest::addColumn<int>("kept");     // the interval registeredTimers() reports
        QTest::newRow("precise") << Qt::PreciseTimer << 60 << 59 << 60;
        QTest::newRow("coarse") << Qt::CoarseTimer << 200 << 190 << 200;
        // Rounded to 2 s, counted from the nearest whole second.
        QTest::newRow("very coarse") << Qt::VeryCoarseTimer << 1600 << 1450 << 2000;
    }
    void timerAccuracy()
    {
        QFETCH(Qt::TimerType, type);
        QFETCH(int, interval);
        QFETCH(int, earliest);
        QFETCH(int, kept);
        TimerCounter counter;
        QElapsedTimer elapsed;
        elapsed.start();
        const int id = counter.startTimer(interval, type);
        const auto timers = mainDispatcher()->registeredTimers(&counter);
        QCOMPARE(timers.size(), 1);
        QCOMPARE(timers.constFirst().timerId, id);
        QCOMPARE(timers.constFirst().interval, kept);
        QCOMPARE(timers.constFirst().timerType, type);
        QTRY_COMPARE_WITH_TIMEOUT(counter.fired.size(), size_t(1), kept + LateBoundMs);
        const qint64 at = elapsed.elapsed();
        QCOMPARE_GE(at, earliest);
        QCOMPARE_LE(at, kept + kept / 2 + LateBoundMs);
    }

    void longCoarseTimerBecomesVeryCoarse()
    {
        TimerCounter counter;
        counter.startTimer(25300, Qt::CoarseTimer);
        const auto timers = mainDispatcher()->registeredTimers(&counter);
        QCOMPARE(timers.size(), 1);
        QCOMPARE(timers.constFirst().timerType, Qt::VeryCoarseTimer);
        QCOMPARE(timers.constFirst().interval, 25000);
    }

    void repeatingTimerKeepsItsPace()
    {
        TimerCounter counter;
        QElapsedTimer elapsed;
        elapsed.start();
        counter.startTimer(20, Qt::PreciseTimer);
        QTRY_COMPARE_GE_WITH_TIMEOUT(counter.fired.size(), size_t(10), 10 * LateBoundMs);
        QCOMPARE_GE(elapsed.elapsed(), 10 * 20 - 1);
    }

    void remainingTimeAndStop()
    {
        TimerCounter counter;
        const int id = counter.startTimer(1000, Qt::PreciseTimer);
        const int left = mainDispatcher()->remainingTime(id);
        QCOMPARE_GT(left, 0);
        QCOMPARE_LE(left, 1000);
        counter.killTimer(id);
        QCOMPARE(mainDispatcher()->remainingTime(id), -1);
        QVERIFY(mainDispatcher()->registeredTimers(&counter).isEmpty());
        QVERIFY(!mainDispatcher()->unregisterTimer(id));
    }

    void zeroTimerStarvesNothing()
    {
        QTimer zero;
        zero.setInterval(0);
        int spins = 0;
        connect(&zero, &QTimer::timeout, this, [&spins] { ++spins; });
        zero.start();
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        QSignalSpy reads(&read, &QSocketNotifier::activated);
        pair.send();
        TimerCounter counter;
        counter.startTimer(30, Qt::PreciseTimer);
        bool posted = false;
        QMetaObject::invokeMethod(
            this, [&posted] { posted = true; }, Qt::QueuedConnection);
        QTRY_VERIFY(posted && reads.count() > 0 && !counter.fired.empty());
        QCOMPARE_GT(spins, 1);
    }

    void timerNotFiredInsideItsOwnNestedLoop()
    {
        TimerCounter counter;
        int nestedFires = 0;
        bool inside = false;
        counter.onTimer = [&](int) {
            if (inside) {
                ++nestedFires;
                return;
            }
            inside = true;
            // A nested loop in the timer's own event, longer than its interval.
            QEventLoop loop;
            QTimer::singleShot(100, &loop, &QEventLoop::quit);
            loop.exec();
            inside = false;
        };
        const int id = counter.startTimer(10, Qt::PreciseTimer);
        QTRY_COMPARE_GE(counter.fired.size(), size_t(2));
        counter.killTimer(id);
        QCOMPARE(nestedFires, 0);
    }

    void timerStoppedAndStartedInsideItsEvent()
    {
        TimerCounter counter;
        int restarted = 0;
        counter.onTimer = [&](int id) {
            counter.killTimer(id);
            if (restarted++ < 3)
                counter.startTimer(5, Qt::PreciseTimer); // may reuse the id
        };
        counter.startTimer(5, Qt::PreciseTimer);
        QTRY_COMPARE(counter.fired.size(), size_t(4));
        QVERIFY(mainDispatcher()->registeredTimers(&counter).isEmpty());
    }

    void nestedLoopsAndDeferredDeletes()
    {
        QPointer<QObject> doomed = new QObject;
        bool aliveInside = false;
        QEventLoop outer;
        QTimer::singleShot(0, &outer, [&] {
            doomed->deleteLater(); // in the outer loop: not deleted inside the inner one
            QEventLoop inner;
            QTimer::singleShot(50, &inner, [&] {
                aliveInside = !doomed.isNull();
                inner.quit();
            });
            inner.exec();
            QTimer::singleShot(0, &outer, &QEventLoop::quit); // after the delete, once back
        });
        QTimer::singleShot(LateBoundMs * 5, &outer, &QEventLoop::quit);
        outer.exec();
        QVERIFY(aliveInside);
        QVERIFY(doomed.isNull());
    }

    void threadLoops()
    {
        EventDispatcher::setDefault(true);
        constexpr int Threads = 6;
        std::vector<std::unique_ptr<QThread>> threads;
        // Not on this stack: QThread::wait() orders the threads' last reads
        // before its reuse with a mutex TSan cannot see (postCall() shows
        // TSan the order of its calls).
        struct Counts
        {
            std::atomic<int> timersFired{0};
            std::atomic<int> calls{0};
        };
        const auto counts = std::make_shared<Counts>();
        for (int i = 0; i < Threads; ++i) {
            threads.push_back(std::make_unique<QThread>());
            QVERIFY(EventDispatcher::installInThread(threads.back().get()));
            QVERIFY(qobject_cast<EventDispatcher *>(threads.back()->eventDispatcher()));
            threads.back()->start();
        }
        std::vector<std::unique_ptr<QObject>> contexts;
        for (auto &thread : threads) {
            contexts.push_back(std::make_unique<QObject>());
            contexts.back()->moveToThread(thread.get());
            QObject *context = contexts.back().get();
            postCall(context, [context, counts] {
                ++counts->calls;
                QVERIFY(qobject_cast<EventDispatcher *>(QAbstractEventDispatcher::instance()));
                QTimer::singleShot(10, context, [counts] { ++counts->timersFired; });
            });
        }
        QTRY_COMPARE(counts->timersFired.load(), Threads);
        QCOMPARE(counts->calls.load(), Threads);
        for (std::size_t i = 0; i < threads.size(); ++i) {
            QObject *context = contexts[i].release();
            deleteThenQuit(context);
            QVERIFY(threads[i]->wait(LateBoundMs * 5));
        }
    }

    void timersMoveWithTheirObject()
    {
        EventDispatcher::setDefault(true);
        QThread thread;
        QVERIFY(EventDispatcher::installInThread(&thread));
        thread.start();
        auto *counter = new TimerCounter;
        struct Fired // not on this stack: see threadLoops()
        {
            std::atomic<int> count{0};
            std::atomic<QThread *> in{nullptr};
        };
        const auto fired = std::make_shared<Fired>();
        {
            const HandOff posting; // what the thread reads, set up before it may
            counter->onTimer = [fired](int) {
                fired->in = QThread::currentThread();
                ++fired->count;
            };
            counter->startTimer(20, Qt::PreciseTimer);
            counter->moveToThread(&thread); // Qt asks this dispatcher for its timers
        }
        QTRY_COMPARE_GE(fired->count.load(), 2);
        QCOMPARE(fired->in.load(), &thread);
        deleteThenQuit(counter);
        QVERIFY(thread.wait(LateBoundMs * 5));
    }

    void refusalsAndQtsDispatcherKept()
    {
        QThread running;
        EventDispatcher::setDefault(true);
        running.start();
        QTest::ignoreMessage(QtWarningMsg,
                             "installInThread(): the thread is null, runs, or has its event "
                             "dispatcher already; call it before the thread starts");
        QVERIFY(!EventDispatcher::installInThread(&running));
        running.quit();
        running.wait();

        EventDispatcher::setDefault(false);
        QThread kept;
        QVERIFY(!EventDispatcher::installInThread(&kept)); // silently: Qt's is wanted
        kept.start();
        QTRY_VERIFY(kept.eventDispatcher());
        QVERIFY(!qobject_cast<EventDispatcher *>(kept.eventDispatcher()));
        kept.quit();
        kept.wait();
        EventDispatcher::setDefault(true);
    }

    void qtSocketsAndProcessesRunOnIt()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        connect(&server, &QTcpServer::newConnection, this, [&server] {
            QTcpSocket *peer = server.nextPendingConnection();
            connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
            connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater);
        });
        QTcpSocket client;
        QByteArray echoed;
        connect(&client, &QTcpSocket::readyRead, this, [&] { echoed += client.readAll(); });
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QByteArray sent;
        for (int i = 0; i < 100; ++i) {
            const QByteArray message = QByteArray::number(i) + ' ';
            sent += message;
            client.write(message);
            QTRY_COMPARE(echoed, sent);
        }
        client.disconnectFromHost();

        QProcess process;
        QSignalSpy finished(&process, &QProcess::finished);
        process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("cat")});
        process.write("through a pipe\n");
        process.closeWriteChannel();
        QVERIFY(finished.wait(LateBoundMs * 5));
        QCOMPARE(process.readAllStandardOutput(), QByteArray("through a pipe\n"));
    }
};

int main(int argc, char *argv[])
{
    // Always canstop's, whatever CANSTOP_EVENT_DISPATCHER says: it is what is tested.
    EventDispatcher::setDefault(true);
    QCoreApplication::setEventDispatcher(new EventDispatcher);
    QCoreApplication app(argc, argv);
    TestEventDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_eventdispatcher.moc"
