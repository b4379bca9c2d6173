// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The HTTP example's /fast over TLS with a bare QHttpServer on a QSslServer
// and no canstop: what the TLS benchmark compares canstop-http against.
//   canstop-bench-plain-https PORT CERT KEY
// SIGTERM ends it as it ends any program that does not handle it.
#include <QCoreApplication>
#include <QFile>
#include <QHttpServer>
#include <QSslKey>
#include <QSslServer>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    if (arguments.size() != 4)
        return 2;
    QFile key(arguments.at(3));
    if (!key.open(QIODevice::ReadOnly))
        return 2;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(QSslCertificate::fromPath(arguments.at(2)));
    configuration.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // as canstop's default
    QHttpServer http;
    http.route(QStringLiteral("/fast"), [] { return QByteArrayLiteral("fast\n"); });
    auto *server = new QSslServer(&http);
    server->setSslConfiguration(configuration);
    if (!server->listen(QHostAddress::LocalHost, quint16(arguments.at(1).toUInt())))
        return 2;
    http.bind(server);
    return app.exec();
}
