// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/gracefulsslserver.h>
#include <canstop/lifecyclemanager.h>

#include "gracefultcpserver_p.h"
#include "logging_p.h"
#include "tlscredentials_p.h"
#include "tlshandshakes_p.h"

#include <QPointer>
#include <QSslPreSharedKeyAuthenticator>

namespace canstop {

class GracefulSslServerPrivate
{
public:
    // Reads the files into the configuration of the next handshakes.
    bool load(const QString &chain, const QString &key, QString *error);

    QString chainFile;
    QString keyFile;
    std::shared_ptr<TlsHandshakes> tls = std::make_shared<TlsHandshakes>();
    QPointer<LifecycleManager> reloadsWith; // the manager whose reloads read the files again
};

bool GracefulSslServerPrivate::load(const QString &chain, const QString &key, QString *error)
{
    const std::optional<TlsCredentials> credentials = TlsCredentials::load(chain, key, error);
    if (!credentials)
        return false;
    chainFile = chain;
    keyFile = key;
    QSslConfiguration configuration = tls->configuration();
    configuration.setLocalCertificateChain(credentials->chain);
    configuration.setPrivateKey(credentials->key);
    tls->setConfiguration(configuration);
    qCInfo(lcNetwork, "TLS certificate: %ls", qUtf16Printable(credentials->describe()));
    return true;
}

namespace {

// Direct: emitted in the socket's thread, where sslErrors() can still be ignored.
void forwardSignals(GracefulSslServer *server, QSslSocket *socket)
{
    constexpr auto direct = Qt::DirectConnection;
    QObject::connect(
        socket, &QSslSocket::sslErrors, server,
        [server, socket](const QList<QSslError> &errors) {
            Q_EMIT server->sslErrors(socket, errors);
        },
        direct);
    QObject::connect(
        socket, &QSslSocket::peerVerifyError, server,
        [server, socket](const QSslError &error) { Q_EMIT server->peerVerifyError(socket, error); },
        direct);
    QObject::connect(
        socket, &QAbstractSocket::errorOccurred, server,
        [server, socket](QAbstractSocket::SocketError error) {
            Q_EMIT server->errorOccurred(socket, error);
        },
        direct);
    QObject::connect(
        socket, &QSslSocket::preSharedKeyAuthenticationRequired, server,
        [server, socket](QSslPreSharedKeyAuthenticator *authenticator) {
            Q_EMIT server->preSharedKeyAuthenticationRequired(socket, authenticator);
        },
        direct);
    QObject::connect(
        socket, &QSslSocket::alertSent, server,
        [server, socket](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
            Q_EMIT server->alertSent(socket, level, type, description);
        },
        direct);
    QObject::connect(
        socket, &QSslSocket::alertReceived, server,
        [server, socket](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
            Q_EMIT server->alertReceived(socket, level, type, description);
        },
        direct);
    QObject::connect(
        socket, &QSslSocket::handshakeInterruptedOnError, server,
        [server, socket](const QSslError &error) {
            Q_EMIT server->handshakeInterruptedOnError(socket, error);
        },
        direct);
    // Until the handshake is done: then the socket is the application's.
    QObject::connect(
        socket, &QSslSocket::encrypted, server,
        [socket, server] { QObject::disconnect(socket, nullptr, server, nullptr); }, direct);
    Q_EMIT server->startedEncryptionHandshake(socket);
}

} // namespace

GracefulSslServer::GracefulSslServer(QObject *parent)
    : GracefulTcpServer(parent), d_ptr(std::make_unique<GracefulSslServerPrivate>())
{
    GracefulTcpServer::d_func()->tls = d_ptr->tls;
    d_ptr->tls->setWatch([this](QSslSocket *socket) { forwardSignals(this, socket); });
}

GracefulSslServer::GracefulSslServer(std::nullptr_t)
    : GracefulSslServer(static_cast<QObject *>(nullptr))
{}

GracefulSslServer::GracefulSslServer(LifecycleManager *lifecycle, QObject *parent)
    : GracefulTcpServer(lifecycle, parent), d_ptr(std::make_unique<GracefulSslServerPrivate>())
{
    GracefulTcpServer::d_func()->tls = d_ptr->tls;
    d_ptr->tls->setWatch([this](QSslSocket *socket) { forwardSignals(this, socket); });
}

GracefulSslServer::~GracefulSslServer()
{
    // Worker threads may still start handshakes until the base class ends them.
    d_ptr->tls->setWatch({});
}

void GracefulSslServer::setSslConfiguration(const QSslConfiguration &sslConfiguration)
{
    d_ptr->tls->setConfiguration(sslConfiguration);
}

QSslConfiguration GracefulSslServer::sslConfiguration() const
{
    return d_ptr->tls->configuration();
}

void GracefulSslServer::setHandshakeTimeout(int timeout)
{
    if (timeout < 1) {
        qCWarning(lcNetwork, "setHandshakeTimeout(%d) refused: expected at least 1 ms", timeout);
        return;
    }
    d_ptr->tls->setTimeout(std::chrono::milliseconds(timeout));
}

int GracefulSslServer::handshakeTimeout() const
{
    return int(d_ptr->tls->timeout().count());
}

bool GracefulSslServer::setCertificateFiles(const QString &certificateChain,
                                            const QString &privateKey)
{
    Q_D(GracefulSslServer);
    QString error;
    if (!d->load(certificateChain, privateKey, &error)) {
        qCWarning(lcNetwork, "TLS certificate refused: %ls", qUtf16Printable(error));
        return false;
    }
    // Read again at each reload of the manager.
    GracefulTcpServerPrivate *server = GracefulTcpServer::d_func();
    server->manager.resolve();
    LifecycleManager *lifecycle = server->manager.get();
    if (lifecycle && d->reloadsWith != lifecycle) {
        d->reloadsWith = lifecycle;
        connect(lifecycle, &LifecycleManager::reloadRequested, this, [this, d, lifecycle] {
            QString why;
            if (d->load(d->chainFile, d->keyFile, &why))
                Q_EMIT certificateChanged(certificate());
            else
                lifecycle->reportReloadFailure(
                    QStringLiteral("TLS certificate not reloaded, the one in use stays: %1")
                        .arg(why));
        });
    }
    Q_EMIT certificateChanged(certificate());
    return true;
}

bool GracefulSslServer::reloadCertificates()
{
    Q_D(GracefulSslServer);
    QString error = QStringLiteral("no certificate files were set");
    if (d->chainFile.isEmpty() || !d->load(d->chainFile, d->keyFile, &error)) {
        qCWarning(lcNetwork, "TLS certificate not reloaded, the one in use stays: %ls",
                  qUtf16Printable(error));
        return false;
    }
    Q_EMIT certificateChanged(certificate());
    return true;
}

QSslCertificate GracefulSslServer::certificate() const
{
    return d_ptr->tls->configuration().localCertificate();
}

} // namespace canstop
