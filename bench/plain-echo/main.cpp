// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The echo example with a bare QTcpServer and no canstop: what the
// benchmark compares canstop-echo against.
#include <QCoreApplication>
#include <QTcpServer>
#include <QTcpSocket>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int portIndex = static_cast<int>(args.indexOf(QStringLiteral("--port")));
    const quint16 port = portIndex > 0 ? args.value(portIndex + 1).toUShort() : 48879;

    QTcpServer server;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        while (QTcpSocket *client = server.nextPendingConnection()) {
            QObject::connect(client, &QTcpSocket::readyRead, client,
                             [client] { client->write(client->readAll()); });
            QObject::connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
        }
    });
    if (!server.listen(QHostAddress::LocalHost, port))
        return 2;
    std::fprintf(stderr, "listening on 127.0.0.1:%u\n", server.serverPort());
    return app.exec();
}
