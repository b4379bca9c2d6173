// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The HTTP example's /fast with a bare QHttpServer on a plain QTcpServer and
// no canstop: what the HTTP drain benchmark compares canstop-http against.
// It listens on descriptor 3 (the benchmark holds that socket); SIGTERM
// ends it as it ends any program that does not handle it.
#include <QCoreApplication>
#include <QHttpServer>
#include <QTcpServer>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QHttpServer http;
    http.route(QStringLiteral("/fast"), [] { return QByteArrayLiteral("fast\n"); });
    auto *server = new QTcpServer(&http);
    if (!server->setSocketDescriptor(3))
        return 2;
    http.bind(server);
    return app.exec();
}
