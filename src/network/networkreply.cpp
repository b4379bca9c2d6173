// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include <canstop/lifecyclemanager.h>
#include <canstop/networkreply.h>

#include "logging_p.h"

#include <QNetworkReply>
#include <QNetworkRequest>

namespace canstop {

namespace {

QString describe(const QNetworkReply *reply)
{
    QString method;
    switch (reply->operation()) {
    case QNetworkAccessManager::HeadOperation:
        method = QStringLiteral("HEAD");
        break;
    case QNetworkAccessManager::GetOperation:
        method = QStringLiteral("GET");
        break;
    case QNetworkAccessManager::PutOperation:
        method = QStringLiteral("PUT");
        break;
    case QNetworkAccessManager::PostOperation:
        method = QStringLiteral("POST");
        break;
    case QNetworkAccessManager::DeleteOperation:
        method = QStringLiteral("DELETE");
        break;
    default:
        method = QString::fromLatin1(
            reply->request().attribute(QNetworkRequest::CustomVerbAttribute).toByteArray());
        break;
    }
    return method + QLatin1Char(' ') + reply->url().toDisplayString(QUrl::RemoveUserInfo);
}

} // namespace

bool trackReply(LifecycleManager &lifecycle, QNetworkReply *reply, ReplyAtShutdown atShutdown)
{
    if (!reply) {
        qCWarning(lcNetwork, "trackReply(): refused: the reply is null");
        return false;
    }
    if (reply->isFinished())
        return false;
    auto session = std::make_shared<SessionToken>(lifecycle.holdSession(describe(reply)));
    if (!*session)
        return false;
    // The session ends with the reply's end, or its destruction (the token
    // goes with the connections' functors).
    QObject::connect(reply, &QNetworkReply::finished, reply, [session] { session->reset(); });
    const QNetworkAccessManager::Operation operation = reply->operation();
    if (atShutdown == ReplyAtShutdown::AbortIdempotent &&
        (operation == QNetworkAccessManager::GetOperation ||
         operation == QNetworkAccessManager::HeadOperation))
        lifecycle.stopToken().onStopRequested(reply, [reply] { reply->abort(); });
    // Named in the report first, as abandoned, then aborted.
    QObject::connect(&lifecycle, &LifecycleManager::shutdownFinished, reply, [reply] {
        if (reply->isRunning())
            reply->abort();
    });
    return true;
}

// Declared with the manager, defined here: Canstop::Lifecycle needs only QtCore.
bool LifecycleManager::trackNetworkReply(QNetworkReply *reply)
{
    return trackReply(*this, reply);
}

} // namespace canstop
