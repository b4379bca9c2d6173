// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// 64 WebSocket clients echoing 64-byte text frames for 3 s, beside none and
// beside IDLE (10000) idle ones (handshake and one echo, then quiet; this
// process holds them and polls only the active ones), for canstop-websocket
// on canstop's event dispatcher and on Qt's. Prints figures; asserts nothing.
//   canstop-bench-websocket-idle [IDLE [ROUNDS]]
#include "common/spawn.h"
#include "common/waves.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <poll.h>
#include <sys/resource.h>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int Active = 64;
constexpr int Payload = 64; // bytes of text per frame

const QByteArray Handshake = "GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: "
                             "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// FIN + text, masked with 0x00000000, `Payload` bytes; the echo comes unmasked.
const QByteArray Frame =
    QByteArray("\x81", 1) + char(0x80 | Payload) + QByteArray(4, '\0') + QByteArray(Payload, 'x');
constexpr qsizetype EchoSize = 2 + Payload;

// Its handshake answered, and one frame echoed if `echoOnce`.
bool open(waves::Connection &c, bool echoOnce)
{
    if (!c.send(Handshake) || !c.receive([](const QByteArray &r) {
                                    return r.contains("\r\n\r\n");
                                }).startsWith("HTTP/1.1 101"))
        return false;
    return !echoOnce || (c.send(Frame) && c.receive([](const QByteArray &r) {
                                               return r.size() >= EchoSize;
                                           }).size() == EchoSize);
}

// canstop-websocket with `extra`; its pid and port (0 if it did not listen).
std::pair<pid_t, quint16> start(const std::vector<std::string> &extra)
{
    const std::string log = "/tmp/canstop-bench-websocket-" + std::to_string(::getpid()) + ".log";
    std::vector<std::string> argv{CANSTOP_WEBSOCKET, "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const pid_t pid = bench::spawn(argv, log);
    for (int i = 0; i < 2000; ++i) {
        std::this_thread::sleep_for(5ms);
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line)) {
            const auto at = line.find("listening on 127.0.0.1:");
            if (at != std::string::npos)
                return {pid, quint16(std::stoi(line.substr(at + 23)))};
        }
    }
    return {pid, 0};
}

// Echoed frames per second for the active clients, beside `idle` others.
double roundTrips(const std::vector<std::string> &extra, int idle)
{
    const auto [pid, port] = start(extra);
    waves::Connections held;
    for (int i = 0; i < idle; ++i) {
        held.push_back(std::make_unique<waves::Connection>(port));
        if (!open(*held.back(), true)) {
            std::printf("  (only %d of %d idle connections held)\n", i, idle);
            break;
        }
    }
    waves::Connections active;
    std::vector<pollfd> polled;
    std::vector<qsizetype> pending(Active, 0);
    for (int i = 0; i < Active; ++i) {
        active.push_back(std::make_unique<waves::Connection>(port));
        open(*active.back(), false);
        active.back()->send(Frame);
        polled.push_back({active.back()->fd, POLLIN, 0});
    }
    long trips = 0;
    const auto start = Clock::now();
    const auto end = start + 3s;
    char buffer[4096];
    while (Clock::now() < end) {
        if (::poll(polled.data(), polled.size(), 10) <= 0)
            continue;
        for (size_t i = 0; i < polled.size(); ++i) {
            if (!polled[i].revents)
                continue;
            const ssize_t got = ::recv(polled[i].fd, buffer, sizeof buffer, 0);
            if (got <= 0) {
                polled[i].fd = -1; // closed: counts no more
                continue;
            }
            pending[i] += got;
            for (; pending[i] >= EchoSize; pending[i] -= EchoSize) {
                ++trips;
                active[i]->send(Frame);
            }
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return trips / seconds;
}

} // namespace

int main(int argc, char **argv)
{
    const int idle = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 2;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max; // the server inherits it
    setrlimit(RLIMIT_NOFILE, &limit);
    std::printf("WebSocket: %d clients echoing %d-byte text frames, 3 s, beside %d idle ones; "
                "%d rounds\n\n| server | no idle | %d idle | kept |\n| --- | --- | --- | --- |\n",
                Active, Payload, idle, rounds, idle);
    for (const auto &[label, extra] :
         {std::pair<const char *, std::vector<std::string>>{"canstop-websocket", {}},
          {"canstop-websocket --qt-dispatcher", {"--qt-dispatcher"}}}) {
        double alone = 0, beside = 0;
        for (int round = 0; round < rounds; ++round) {
            alone += roundTrips(extra, 0) / rounds;
            beside += roundTrips(extra, idle) / rounds;
        }
        std::printf("| %s | %.0f frames/s | %.0f frames/s | %.0f %% |\n", label, alone, beside,
                    100 * beside / alone);
        std::fflush(stdout);
    }
    return 0;
}
