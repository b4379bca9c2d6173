// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// canstop-echo (CANSTOP_ECHO) as a child process with its health probe,
// both on ports of their own choosing.

#include "childprocess.h"

#include <QHostAddress>
#include <QTcpSocket>

class ProbedEcho : public ChildProcess
{
public:
    explicit ProbedEcho(const QStringList &extra = {})
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_ECHO")),
                       QStringList{QStringLiteral("--port"), QStringLiteral("0"),
                                   QStringLiteral("--health-port"), QStringLiteral("0")} +
                           extra)
    {
        port = waitForPort();
        healthPort = waitForPort("health probe on");
    }

    // One echo on a new connection.
    bool echoes(const QByteArray &message)
    {
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, port);
        if (!client.waitForConnected(10000))
            return false;
        client.write(message);
        QByteArray reply;
        while (reply.size() < message.size() && client.waitForReadyRead(10000))
            reply += client.readAll();
        return reply == message;
    }

    quint16 port = 0;
    quint16 healthPort = 0;
};
