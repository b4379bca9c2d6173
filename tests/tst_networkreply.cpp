// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// QNetworkReply as a session, against canstop-http (a child process) on
// 127.0.0.1: awaited, aborted at the start when idempotent and asked for,
// named and aborted at the deadline.
#include "common/childprocess.h"
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/networkreply.h>

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>

#include <memory>

using canstop::LifecycleManager;
using canstop::ReplyAtShutdown;
using namespace std::chrono_literals;

namespace {

class HttpServer : public ChildProcess
{
public:
    HttpServer()
        : ChildProcess(QString::fromLocal8Bit(qgetenv("CANSTOP_HTTP")),
                       {QStringLiteral("--port"), QStringLiteral("0")})
    {}
};

} // namespace

class TestNetworkReply : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_HTTP").isEmpty());
        // Started here, not with the test object: a child started before
        // the test runs made ThreadSanitizer lose the hard stop's mutex.
        m_server = std::make_unique<HttpServer>();
        m_port = m_server->waitForPort();
        QVERIFY(m_port);
    }

    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // A reply in flight is awaited: the shutdown ends when it does.
    void awaited()
    {
        TestManager manager;
        QNetworkAccessManager network;
        QNetworkReply *reply = network.get(request("/slow?ms=300"));
        QVERIFY(canstop::trackReply(manager, reply));
        QCOMPARE(manager.activeSessions(), 1);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 20000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QCOMPARE(reply->readAll(), QByteArray("slow\n"));
        delete reply;
    }

    // Idempotent requests aborted at once when asked; a POST still awaited.
    void idempotentAbortedAtTheStart()
    {
        TestManager manager;
        QNetworkAccessManager network;
        QNetworkReply *get = network.get(request("/slow?ms=60000"));
        QNetworkRequest postRequest = request("/slow?ms=300");
        postRequest.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("text/plain"));
        QNetworkReply *post = network.post(postRequest, QByteArray("x"));
        QVERIFY(canstop::trackReply(manager, get, ReplyAtShutdown::AbortIdempotent));
        QVERIFY(canstop::trackReply(manager, post, ReplyAtShutdown::AbortIdempotent));
        QCOMPARE(manager.activeSessions(), 2);
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 20000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(get->error(), QNetworkReply::OperationCanceledError);
        QCOMPARE(post->error(), QNetworkReply::NoError);
        delete get;
        delete post;
    }

    // Still running at the deadline: named with its method and URL, then
    // aborted; a finished reply and a null one are not sessions. The same
    // through the manager's trackSession(QNetworkReply *).
    void namedAndAbortedAtTheDeadline_data()
    {
        QTest::addColumn<bool>("member");
        QTest::newRow("trackReply()") << false;
        QTest::newRow("LifecycleManager::trackSession()") << true;
    }

    void namedAndAbortedAtTheDeadline()
    {
        QFETCH(bool, member);
        TestManager manager;
        QVERIFY(manager.setShutdownTimeout(300ms));
        QNetworkAccessManager network;
        QNetworkRequest withUser = request("/slow?ms=60000");
        QUrl url = withUser.url();
        url.setUserInfo(QStringLiteral("user:secret"));
        withUser.setUrl(url);
        QNetworkReply *reply = network.get(withUser);
        QVERIFY(member ? manager.trackSession(reply) : canstop::trackReply(manager, reply));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "1 session\\(s\\) still open at the shutdown deadline")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("exit code 1")));
        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), LifecycleManager::State::Stopped, 20000);
        const QString name = QStringLiteral("GET http://127.0.0.1:%1/slow?ms=60000").arg(m_port);
        QCOMPARE(manager.report().abandonedSessions(), QStringList{name});
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
        QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 10000);

        QTest::ignoreMessage(QtWarningMsg, "trackReply(): refused: the reply is null");
        QVERIFY(!canstop::trackReply(manager, nullptr));
        QVERIFY(!canstop::trackReply(manager, reply)); // finished
        delete reply;
    }

private:
    QNetworkRequest request(const char *path) const
    {
        return QNetworkRequest(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(QLatin1String(path))));
    }

    std::unique_ptr<HttpServer> m_server;
    quint16 m_port = 0;
};

CANSTOP_TEST_MAIN(TestNetworkReply)
#include "tst_networkreply.moc"
