// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <canstop/gracefultcpserver.h>

#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>

#include <cstddef>

QT_BEGIN_NAMESPACE
class QSslPreSharedKeyAuthenticator;
QT_END_NAMESPACE

namespace canstop {

class GracefulSslServerPrivate;

/// A GracefulTcpServer whose connections speak TLS, with QSslServer's
/// functions and signals (Qt 6.4): its connections are QSslSocket objects, each
/// pending (nextPendingConnection(), newConnection() and
/// pendingConnectionAvailable()) once its handshake is done.
///
/// It drains as GracefulTcpServer does, over TLS: a connection closes with
/// TLS close_notify and then its FIN, its peer's input discarded, so a client
/// that requires close_notify (OpenSSL 3, curl, Python's ssl) sees a clean
/// end, never a truncated stream nor a reset. A connection still in its
/// handshake when the drain begins may finish it and is then served and
/// closed as any other; at the deadline it is named ("TLS handshake in
/// progress"). A handshake that fails, or is not done within
/// handshakeTimeout(), is one debug line: the connection is closed, its
/// session neither drained nor abandoned.
///
/// Certificates: setCertificateFiles() reads a PEM certificate chain and its
/// private key, and reads them again at each reload of the manager
/// (LifecycleManager::reloadRequested(), SIGHUP) or reloadCertificates():
/// new handshakes take the new ones, established connections keep theirs.
/// Files that cannot be read or parsed, a key that does not fit the
/// certificate, or a certificate not valid now are refused with one
/// warning, and the certificate in use stays; a refused reload is reported
/// to the service manager (LifecycleManager::reportReloadFailure()).
///
/// HTTPS: bind it to a QHttpServer (QAbstractHttpServer::bind()) with
/// setProtocol(Protocol::Http1), as a GracefulTcpServer.
///
/// Signals of a connection served in a worker thread (serveInThreads()) are
/// emitted in that thread.
class CANSTOP_NETWORK_EXPORT GracefulSslServer : public GracefulTcpServer
{
    Q_OBJECT

public:
    /// QSslServer's.
    static constexpr int DefaultHandshakeTimeout = 5000;

    /// As GracefulTcpServer's.
    ///@{
    explicit GracefulSslServer(QObject *parent = nullptr);
    explicit GracefulSslServer(std::nullptr_t);
    explicit GracefulSslServer(LifecycleManager *lifecycle, QObject *parent = nullptr);
    ///@}
    ~GracefulSslServer() override;

    /// As QSslServer's: the configuration of the handshakes from now on. By
    /// default Qt's default configuration, but with no client certificate
    /// asked for (QSslSocket::VerifyNone), as a web server does.
    ///@{
    void setSslConfiguration(const QSslConfiguration &sslConfiguration);
    QSslConfiguration sslConfiguration() const;
    ///@}
    /// As QSslServer's: a handshake not done this many milliseconds after
    /// the connection was accepted closes it. A value below 1 is refused
    /// with one warning.
    ///@{
    void setHandshakeTimeout(int timeout);
    int handshakeTimeout() const;
    ///@}

    /// Reads the certificate chain (PEM; the server's own certificate
    /// first) and its private key (PEM, not encrypted) from these files into
    /// sslConfiguration(), and again at each reload. False, with one warning
    /// and nothing changed, if they are refused (see the class).
    bool setCertificateFiles(const QString &certificateChain, const QString &privateKey);
    /// Reads the files of setCertificateFiles() again. False, with one
    /// warning and the certificate in use kept, if they are refused or none
    /// were set.
    bool reloadCertificates();
    /// The server's certificate in use: sslConfiguration().localCertificate().
    QSslCertificate certificate() const;

Q_SIGNALS:
    /// As QSslServer's.
    ///@{
    void sslErrors(QSslSocket *socket, const QList<QSslError> &errors);
    void peerVerifyError(QSslSocket *socket, const QSslError &error);
    void errorOccurred(QSslSocket *socket, QAbstractSocket::SocketError error);
    void preSharedKeyAuthenticationRequired(QSslSocket *socket,
                                            QSslPreSharedKeyAuthenticator *authenticator);
    void alertSent(QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                   const QString &description);
    void alertReceived(QSslSocket *socket, QSsl::AlertLevel level, QSsl::AlertType type,
                       const QString &description);
    void handshakeInterruptedOnError(QSslSocket *socket, const QSslError &error);
    void startedEncryptionHandshake(QSslSocket *socket);
    ///@}
    /// setCertificateFiles() or a reload replaced the certificate.
    void certificateChanged(const QSslCertificate &certificate);

private:
    Q_DECLARE_PRIVATE(GracefulSslServer)
    std::unique_ptr<GracefulSslServerPrivate> d_ptr;
};

} // namespace canstop
