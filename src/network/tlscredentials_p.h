// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <optional>

namespace canstop {

// A server's certificate chain and private key, read from PEM files and
// checked as a handshake would use them: both parse, the key fits the
// certificate, and the certificate is valid now.
struct TlsCredentials
{
    QList<QSslCertificate> chain; // the server's own certificate first
    QSslKey key;

    // Nothing, with `error` saying why, when the files are refused.
    static std::optional<TlsCredentials> load(const QString &chainFile, const QString &keyFile,
                                              QString *error);
    // Reads and checks PEM data, as load() does.
    static std::optional<TlsCredentials> fromPem(const QByteArray &chain, const QByteArray &key,
                                                 QString *error);
    // "CN=example.org, serial 01:02, valid until 2027-03-01T00:00:00Z", for the log.
    QString describe() const;
};

} // namespace canstop
