// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "tlscredentials_p.h"

#include <QDateTime>
#include <QFile>
#include <QSslConfiguration>
#include <QSslSocket>

#include <sys/socket.h>
#include <unistd.h>

namespace canstop {

namespace {

// PEM files hold a few kilobytes; more is not a certificate.
constexpr qint64 MaxPemFileSize = qint64{1024} * 1024;

QByteArray readPem(const QString &path, const char *what, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the %1 %2: %3")
                     .arg(QLatin1String(what), path, file.errorString());
        return {};
    }
    QByteArray data = file.read(MaxPemFileSize + 1);
    if (data.size() > MaxPemFileSize) {
        *error = QStringLiteral("the %1 %2 is larger than %3 bytes")
                     .arg(QLatin1String(what), path)
                     .arg(MaxPemFileSize);
        return {};
    }
    if (data.isEmpty())
        *error = QStringLiteral("the %1 %2 is empty").arg(QLatin1String(what), path);
    return data;
}

QSslKey parseKey(const QByteArray &pem)
{
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return {};
}

// Whether Qt's TLS backend takes the key with the certificate, as a
// handshake will: it checks that the key fits, as no public call does,
// when it makes the server's context, before any byte is exchanged.
QString backendRefusal(const TlsCredentials &credentials)
{
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return {}; // nothing to check with: the handshakes will say
    ::close(pair[1]);
    QSslSocket socket;
    if (!socket.setSocketDescriptor(pair[0])) {
        ::close(pair[0]);
        return {};
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(credentials.chain);
    configuration.setPrivateKey(credentials.key);
    socket.setSslConfiguration(configuration);
    socket.startServerEncryption();
    const bool refused = socket.error() == QAbstractSocket::SslInternalError ||
                         socket.error() == QAbstractSocket::SslInvalidUserDataError;
    QString why = refused ? socket.errorString() : QString();
    socket.abort();
    return why;
}

} // namespace

std::optional<TlsCredentials> TlsCredentials::load(const QString &chainFile, const QString &keyFile,
                                                   QString *error)
{
    const QByteArray chain = readPem(chainFile, "certificate file", error);
    if (chain.isEmpty())
        return std::nullopt;
    const QByteArray key = readPem(keyFile, "key file", error);
    if (key.isEmpty())
        return std::nullopt;
    std::optional<TlsCredentials> credentials = fromPem(chain, key, error);
    if (!credentials)
        *error = QStringLiteral("%1 and %2: %3").arg(chainFile, keyFile, *error);
    return credentials;
}

std::optional<TlsCredentials> TlsCredentials::fromPem(const QByteArray &chain,
                                                      const QByteArray &key, QString *error)
{
    TlsCredentials credentials;
    credentials.chain = QSslCertificate::fromData(chain, QSsl::Pem);
    if (credentials.chain.isEmpty() || credentials.chain.first().isNull()) {
        *error = QStringLiteral("no PEM certificate in the certificate file");
        return std::nullopt;
    }
    credentials.key = parseKey(key);
    if (credentials.key.isNull()) {
        *error = QStringLiteral("no PEM private key (RSA, EC or DSA, not encrypted) in the key "
                                "file");
        return std::nullopt;
    }
    const QSslCertificate &own = credentials.chain.first();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (own.expiryDate() < now) {
        *error = QStringLiteral("the certificate expired at %1")
                     .arg(own.expiryDate().toString(Qt::ISODate));
        return std::nullopt;
    }
    if (own.effectiveDate() > now) {
        *error = QStringLiteral("the certificate is not valid before %1")
                     .arg(own.effectiveDate().toString(Qt::ISODate));
        return std::nullopt;
    }
    if (QString why = backendRefusal(credentials); !why.isEmpty()) {
        *error = QStringLiteral("the key does not fit the certificate (%1)").arg(why);
        return std::nullopt;
    }
    return credentials;
}

QString TlsCredentials::describe() const
{
    const QSslCertificate &own = chain.first();
    QString subject = own.subjectDisplayName();
    if (subject.isEmpty())
        subject = QStringLiteral("(no subject name)");
    return QStringLiteral("%1, serial %2, valid until %3")
        .arg(subject, QString::fromLatin1(own.serialNumber()),
             own.expiryDate().toString(Qt::ISODate));
}

} // namespace canstop
