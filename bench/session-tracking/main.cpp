// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// What tracking costs: create, track and destroy sessions, against the same
// without tracking, in one run; then the heap bytes each tracked session
// adds while it is alive.
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>

#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

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

double nsPerSession(int count, canstop::LifecycleManager *manager)
{
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        auto *session = new QObject;
        if (manager)
            manager->trackSession(session);
        delete session;
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
}

size_t heapInUse()
{
    return mallinfo2().uordblks;
}

// Heap bytes per session while `count` sessions are alive.
double bytesPerSession(int count, canstop::LifecycleManager *manager)
{
    std::vector<QObject *> sessions;
    sessions.reserve(count);
    const size_t before = heapInUse();
    for (int i = 0; i < count; ++i) {
        sessions.push_back(new QObject);
        if (manager)
            manager->trackSession(sessions.back());
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
    nsPerSession(total / Rounds, &manager); // warm up the allocator and the gate
    double plain = 0, tracked = 0, token = 0;
    for (int round = 0; round < Rounds; ++round) {
        plain += nsPerSession(total / Rounds, nullptr) / Rounds;
        tracked += nsPerSession(total / Rounds, &manager) / Rounds;
        token += nsPerToken(total / Rounds, manager) / Rounds;
        QCoreApplication::processEvents();
    }

    constexpr int Alive = 100000;
    const double plainBytes = bytesPerSession(Alive, nullptr);
    const double trackedBytes = bytesPerSession(Alive, &manager);
    const double tokenBytes = bytesPerToken(Alive, manager);

    std::printf("session tracking, %d sessions created and destroyed each way\n", total);
    std::printf("  untracked   %7.1f ns per session\n", plain);
    std::printf("  tracked     %7.1f ns per session\n", tracked);
    std::printf("  ratio       %7.2fx\n", tracked / plain);
    std::printf("  heap per live session: %.0f bytes untracked, %.0f tracked: %.0f extra bytes\n",
                plainBytes, trackedBytes, trackedBytes - plainBytes);
    std::printf("  holdSession() and its token's end: %.1f ns; %.0f bytes per live token\n", token,
                tokenBytes);
    return 0;
}
