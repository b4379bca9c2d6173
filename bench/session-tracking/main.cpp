// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// What tracking costs: create, track and destroy sessions, against the same
// without tracking and against the floor of Qt's public API (hearing of a
// destruction through a connection by method index, and naming the live
// sessions from a set under a mutex), in one run, in a tight loop and with
// the event loop turning between sessions; then the heap bytes each tracked
// session adds while it is alive.
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>

#include <QSet>

#include <chrono>
#include <cstdio>
#include <functional>
#include <malloc.h>
#include <mutex>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

// The floor: what any tracker built on Qt's public API pays at least.
class FloorTracker : public QObject
{
    Q_OBJECT

public:
    FloorTracker()
        : m_destroyed(QObject::staticMetaObject.indexOfSignal("destroyed(QObject*)")),
          m_gone(staticMetaObject.indexOfSlot("gone(QObject*)"))
    {}
    void track(QObject *session)
    {
        {
            const std::lock_guard lock(m_mutex);
            m_live.insert(session);
        }
        QMetaObject::connect(session, m_destroyed, this, m_gone, Qt::DirectConnection);
    }

private Q_SLOTS:
    void gone(QObject *session)
    {
        const std::lock_guard lock(m_mutex);
        m_live.remove(session);
    }

private:
    const int m_destroyed;
    const int m_gone;
    std::mutex m_mutex;
    QSet<QObject *> m_live;
};

// Sessions that are not QObjects: a token each.
double nsPerToken(int count, canstop::LifecycleManager &manager)
{
    const QString what = QStringLiteral("job");
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        canstop::SessionToken token = manager.holdSession(what);
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
}

double bytesPerToken(int count, canstop::LifecycleManager &manager)
{
    const QString what = QStringLiteral("job");
    std::vector<canstop::SessionToken> tokens;
    tokens.reserve(count);
    const size_t before = mallinfo2().uordblks;
    for (int i = 0; i < count; ++i)
        tokens.push_back(manager.holdSession(what));
    return static_cast<double>(mallinfo2().uordblks - before) / count;
}

// A way of tracking a session, or none.
using Track = std::function<void(QObject *)>;

// `turning`: one turn of the event loop between sessions, as in a server.
double nsPerSession(int count, const Track &track, bool turning = false)
{
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        auto *session = new QObject;
        if (track)
            track(session);
        delete session;
        if (turning)
            QCoreApplication::processEvents();
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
}

size_t heapInUse()
{
    return mallinfo2().uordblks;
}

// Heap bytes per session while `count` sessions are alive.
double bytesPerSession(int count, const Track &track)
{
    std::vector<QObject *> sessions;
    sessions.reserve(count);
    const size_t before = heapInUse();
    for (int i = 0; i < count; ++i) {
        sessions.push_back(new QObject);
        if (track)
            track(sessions.back());
    }
    const size_t after = heapInUse();
    qDeleteAll(sessions);
    return static_cast<double>(after - before) / count;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int total = argc > 1 ? std::atoi(argv[1]) : 1000000;
    constexpr int Rounds = 10; // alternated, so drift hits both alike

    canstop::LifecycleManager manager;
    manager.setAutoExit(false);
    FloorTracker floor;
    const Track none;
    const Track canstop = [&manager](QObject *session) { manager.trackSession(session); };
    const Track atTheFloor = [&floor](QObject *session) { floor.track(session); };
    nsPerSession(total / Rounds, canstop); // warm up the allocator and the gate
    nsPerSession(total / Rounds, atTheFloor);
    double plain = 0, tracked = 0, floorNs = 0, token = 0;
    double plainTurning = 0, trackedTurning = 0, floorTurning = 0;
    const int turning = total / Rounds / 20; // a turn costs microseconds
    for (int round = 0; round < Rounds; ++round) {
        plain += nsPerSession(total / Rounds, none) / Rounds;
        tracked += nsPerSession(total / Rounds, canstop) / Rounds;
        floorNs += nsPerSession(total / Rounds, atTheFloor) / Rounds;
        token += nsPerToken(total / Rounds, manager) / Rounds;
        plainTurning += nsPerSession(turning, none, true) / Rounds;
        trackedTurning += nsPerSession(turning, canstop, true) / Rounds;
        floorTurning += nsPerSession(turning, atTheFloor, true) / Rounds;
        QCoreApplication::processEvents();
    }

    constexpr int Alive = 100000;
    const double plainBytes = bytesPerSession(Alive, none);
    const double trackedBytes = bytesPerSession(Alive, canstop);
    const double floorBytes = bytesPerSession(Alive, atTheFloor);
    const double tokenBytes = bytesPerToken(Alive, manager);

    std::printf("session tracking, %d sessions created and destroyed each way, %d rounds "
                "alternated\n",
                total, Rounds);
    std::printf("  %-34s %9s %9s %9s %12s\n", "", "untracked", "canstop", "floor", "canstop/floor");
    std::printf("  %-34s %9.1f %9.1f %9.1f %11.2fx\n", "ns per session, tight loop", plain, tracked,
                floorNs, tracked / floorNs);
    std::printf("  %-34s %9.1f %9.1f %9.1f %11.2fx\n", "ns per session, loop turning", plainTurning,
                trackedTurning, floorTurning, trackedTurning / floorTurning);
    std::printf("  %-34s %9.0f %9.0f %9.0f %+11.0f B\n", "heap bytes per live session", plainBytes,
                trackedBytes, floorBytes, trackedBytes - floorBytes);
    std::printf("  holdSession() and its token's end: %.1f ns; %.0f bytes per live token\n", token,
                tokenBytes);
    std::printf("  (floor: QMetaObject::connect(destroyed) by method index to one receiver, and a "
                "QSet under a mutex)\n");
    return 0;
}

#include "main.moc"
