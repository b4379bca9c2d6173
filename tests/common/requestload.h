// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// Busy clients of a restarting echo server, in plain threads, every
// outcome counted. Short clients make a connection per request (connect,
// send, read the whole echo, close). Long-lived clients keep a connection
// and send a request every PauseMs, longer than a server's idle grace, so
// a drain may close it between two requests: a connection that ends
// before any byte of a reply came back is reconnected and the request sent
// again, as any keep-alive client does; a partial reply is a loss. Used by
// the tests and the restart benchmark.

#include "loopback.h"

#include <QByteArray>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

class RequestLoad
{
public:
    static constexpr int PauseMs = 400;

    RequestLoad(quint16 port, int shortClients, int longLivedClients = 0)
    {
        const sockaddr_in address = loopbackAddress(port);
        std::memcpy(&m_address, &address, sizeof address);
        m_addressSize = sizeof address;
        start(shortClients, longLivedClients);
    }
    RequestLoad(const QByteArray &localPath, int shortClients, int longLivedClients = 0)
    {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, localPath.constData(),
                    std::min(size_t(localPath.size()), sizeof address.sun_path - 1));
        std::memcpy(&m_address, &address, sizeof address);
        m_addressSize = sizeof address;
        start(shortClients, longLivedClients);
    }
    ~RequestLoad() { stop(); }

    void stop()
    {
        m_stop = true;
        for (std::thread &thread : m_threads) {
            if (thread.joinable())
                thread.join();
        }
    }

    std::atomic<int> echoed{0};
    std::atomic<int> refused{0};
    std::atomic<int> reset{0};
    std::atomic<int> lost{0};            // short, wrong or timed-out replies
    std::atomic<int> longLivedEchoed{0}; // of echoed, those on long-lived connections
    std::atomic<int> reconnected{0};     // long-lived connections closed between requests

    // Of the short clients' echoed requests, connect to reply, in µs.
    qint64 latencyPercentileUs(double fraction)
    {
        std::lock_guard lock(m_latencyMutex);
        if (m_latenciesUs.empty())
            return 0;
        std::vector<qint64> sorted = m_latenciesUs;
        const auto at = sorted.begin() + qsizetype(fraction * double(sorted.size() - 1));
        std::nth_element(sorted.begin(), at, sorted.end());
        return *at;
    }

private:
    enum class Outcome { Echoed, Closed, Reset, Lost };

    void start(int shortClients, int longLivedClients)
    {
        for (int t = 0; t < shortClients; ++t)
            m_threads.emplace_back([this, t] { runShort(t); });
        for (int t = 0; t < longLivedClients; ++t)
            m_threads.emplace_back([this, id = shortClients + t] { runLongLived(id); });
    }

    int connectToServer() const
    {
        const int fd = ::socket(m_address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const timeval timeout{20, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&m_address), m_addressSize) == 0)
            return fd;
        ::close(fd);
        return -1;
    }

    static Outcome request(int fd, const QByteArray &request)
    {
        if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) !=
            ssize_t(request.size()))
            return errno == ECONNRESET ? Outcome::Reset : Outcome::Lost;
        QByteArray reply;
        char buffer[256];
        while (reply.size() < request.size()) {
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got > 0) {
                reply.append(buffer, qsizetype(got));
                continue;
            }
            if (got < 0 && errno == ECONNRESET)
                return Outcome::Reset;
            return got == 0 && reply.isEmpty() ? Outcome::Closed : Outcome::Lost;
        }
        return reply == request ? Outcome::Echoed : Outcome::Lost;
    }

    void count(Outcome outcome)
    {
        switch (outcome) {
        case Outcome::Echoed:
            ++echoed;
            break;
        case Outcome::Reset:
            ++reset;
            break;
        case Outcome::Closed: // a short client's request is never unanswered
        case Outcome::Lost:
            ++lost;
            break;
        }
    }

    static QByteArray requestText(int client, int n)
    {
        return QByteArray("request ") + QByteArray::number(client) + ' ' + QByteArray::number(n);
    }

    void runShort(int client)
    {
        for (int n = 0; !m_stop; ++n) {
            const auto began = std::chrono::steady_clock::now();
            const int fd = connectToServer();
            if (fd < 0) {
                ++refused;
                continue;
            }
            const Outcome outcome = request(fd, requestText(client, n));
            ::close(fd);
            count(outcome);
            if (outcome == Outcome::Echoed) {
                const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - began);
                std::lock_guard lock(m_latencyMutex);
                m_latenciesUs.push_back(us.count());
            }
        }
    }

    void runLongLived(int client)
    {
        int fd = -1;
        for (int n = 0; !m_stop; ++n) {
            const QByteArray text = requestText(client, n);
            for (int attempt = 0; attempt < 2; ++attempt) {
                if (fd < 0 && (fd = connectToServer()) < 0) {
                    ++refused;
                    break;
                }
                const Outcome outcome = request(fd, text);
                if (outcome == Outcome::Closed && attempt == 0) {
                    ++reconnected;
                    ::close(fd);
                    fd = -1;
                    continue;
                }
                count(outcome);
                if (outcome == Outcome::Echoed)
                    ++longLivedEchoed;
                else {
                    ::close(fd);
                    fd = -1;
                }
                break;
            }
            for (int waited = 0; waited < PauseMs && !m_stop; waited += 10)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (fd >= 0)
            ::close(fd);
    }

    sockaddr_storage m_address{};
    socklen_t m_addressSize = 0;
    std::atomic<bool> m_stop{false};
    std::mutex m_latencyMutex;
    std::vector<qint64> m_latenciesUs;
    std::vector<std::thread> m_threads;
};
