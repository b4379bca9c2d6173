// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// TLS drains: canstop-http and canstop-websocket over TLS as child
// processes, across SIGTERM and SIGHUP, with clients nobody here wrote:
// curl, Python's ssl and websockets, openssl s_client; and
// GracefulSslServer in this process, fed certificates openssl made.

#include "common/childprocess.h"
#include "common/notifyreceiver.h"
#include "common/testmain.h"
#include "common/testmanager.h"

#include <canstop/gracefulsslserver.h>
#include <canstop/lifecyclemanager.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace {

// A self-signed certificate for 127.0.0.1 and localhost (its own CA: a
// client trusts it with --cacert), made by openssl req.
struct Certificate
{
    QString cert;
    QString key;
    QByteArray serial() const
    {
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(cert);
        return chain.isEmpty() ? QByteArray() : chain.first().serialNumber();
    }
};

Certificate makeCertificate(const QTemporaryDir &dir, const QString &name)
{
    const Certificate made{dir.filePath(name + QStringLiteral(".pem")),
                           dir.filePath(name + QStringLiteral(".key"))};
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost"),
                   QStringLiteral("-keyout"), made.key, QStringLiteral("-out"), made.cert});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
        qWarning("openssl req: %s", openssl.readAllStandardError().constData());
    return made;
}

// Copies `from` over `to`, in one step for a reader (rename).
bool replaceFile(const QString &from, const QString &to)
{
    const QString next = to + QStringLiteral(".next");
    QFile::remove(next);
    return QFile::copy(from, next) && ::rename(qPrintable(next), qPrintable(to)) == 0;
}

QProcessEnvironment environmentWith(const QString &name, const QString &value)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(name, value);
    return environment;
}

// canstop-http (or canstop-websocket) with --tls-cert and --tls-key.
class TlsServer : public ChildProcess
{
public:
    TlsServer(const char *program, const Certificate &certificate, int shutdownTimeoutMs = 20000,
              const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
        : ChildProcess(QString::fromLocal8Bit(qgetenv(program)),
                       {QStringLiteral("--port"), QStringLiteral("0"),
                        QStringLiteral("--shutdown-timeout"), QString::number(shutdownTimeoutMs),
                        QStringLiteral("--tls-cert"), certificate.cert, QStringLiteral("--tls-key"),
                        certificate.key},
                       environment)
    {}
};

// Between a client and a server on 127.0.0.1: the client's bytes go
// through at once, the server's are held until release(), so that the
// client's TLS handshake stays in progress meanwhile.
class HoldingProxy : public QObject
{
public:
    explicit HoldingProxy(quint16 target) : m_target(target)
    {
        m_listener.listen(QHostAddress::LocalHost);
        connect(&m_listener, &QTcpServer::newConnection, this, [this] {
            m_client = m_listener.nextPendingConnection();
            m_server.connectToHost(QHostAddress::LocalHost, m_target);
            connect(m_client, &QTcpSocket::readyRead, this,
                    [this] { m_server.write(m_client->readAll()); });
            connect(m_client, &QTcpSocket::disconnected, &m_server,
                    &QTcpSocket::disconnectFromHost);
            connect(&m_server, &QTcpSocket::disconnected, m_client,
                    &QTcpSocket::disconnectFromHost);
        });
        connect(&m_server, &QTcpSocket::readyRead, this, [this] {
            if (m_holding)
                m_held += m_server.readAll();
            else
                m_client->write(m_server.readAll());
        });
    }

    quint16 port() const { return m_listener.serverPort(); }
    qsizetype held() const { return m_held.size(); }
    void release()
    {
        m_holding = false;
        m_client->write(std::exchange(m_held, {}));
    }

private:
    const quint16 m_target;
    QTcpServer m_listener;
    QTcpSocket *m_client = nullptr;
    QTcpSocket m_server;
    QByteArray m_held;
    bool m_holding = true;
};

// A client of Qt's that trusts `certificates`, encrypted unless it failed.
std::unique_ptr<QSslSocket> connectTrusting(quint16 port, const QList<Certificate> &certificates)
{
    auto socket = std::make_unique<QSslSocket>();
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    QList<QSslCertificate> trusted;
    for (const Certificate &certificate : certificates)
        trusted += QSslCertificate::fromPath(certificate.cert);
    configuration.setCaCertificates(trusted);
    socket->setSslConfiguration(configuration);
    socket->connectToHostEncrypted(QStringLiteral("localhost"), port);
    // Events served meanwhile: the server may be in this thread.
    const QDeadlineTimer deadline(10000);
    while (!socket->isEncrypted() && socket->state() != QAbstractSocket::UnconnectedState &&
           !deadline.hasExpired())
        QTest::qWait(1);
    return socket;
}

// GET /fast on a keep-alive connection: the response, whole.
QByteArray getFast(QSslSocket &socket)
{
    socket.write("GET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QByteArray response;
    while (!response.endsWith("\r\n\r\nfast\n") && socket.waitForReadyRead(10000))
        response += socket.readAll();
    return response;
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!qgetenv("CANSTOP_HTTP").isEmpty());
        QVERIFY(!qgetenv("CANSTOP_WEBSOCKET").isEmpty());
        QVERIFY(m_dir.isValid());
        m_certificate = makeCertificate(m_dir, QStringLiteral("server"));
        QVERIFY(!m_certificate.serial().isEmpty());
    }

    // curl keeps its connection for a second request; the SIGTERM comes
    // while that request is in flight: it completes, says Connection:
    // close, and the connection ends with close_notify (curl fails a
    // transfer on a TLS stream cut short).
    void curlKeepAliveAcrossShutdown()
    {
        TlsServer server("CANSTOP_HTTP", m_certificate);
        const quint16 port = server.waitForPort();
        QVERIFY2(port, server.stdErr().constData());
        const QString base = QStringLiteral("https://127.0.0.1:%1").arg(port);
        ChildProcess curl(QStringLiteral("curl"),
                          {QStringLiteral("-sSv"), QStringLiteral("--cacert"), m_certificate.cert,
                           base + QStringLiteral("/fast"), base + QStringLiteral("/slow?ms=1500")});
        QVERIFY2(curl.waitForOutput("> GET /slow?ms=1500 HTTP/1.1"), curl.stdErr().constData());
        QVERIFY(curl.waitForOutput("\n> \r\n"));
        server.signal(SIGTERM);
        QCOMPARE(curl.waitForExit(20000), 0);
        QCOMPARE(curl.stdOut(), QByteArray("fast\nslow\n"));
        const QByteArray log = curl.stdErr();
        QVERIFY2(log.contains("Re-using existing connection"), log.constData());
        const qsizetype slow = log.indexOf("> GET /slow");
        QVERIFY(!log.left(slow).contains("< Connection: close"));
        QVERIFY2(log.mid(slow).contains("< Connection: close"), log.constData());
        QVERIFY2(server.waitForExit(20000) == 0, server.stdErr().constData());
        QVERIFY2(server.stdErr().contains("1 session(s) drained"), server.stdErr().constData());
    }

    // Python's ssl with suppress_ragged_eofs=False (and without Python's
    // OP_IGNORE_UNEXPECTED_EOF), so that an end without close_notify is an
    // error: 20 keep-alive clients across a SIGTERM all end cleanly.
    // Against a bare QHttpServer on a QSslServer (bench/plain-https), the
    // same clients saw 20 ends of 20 without close_notify (checked once):
    // the process ends under them.
    void pythonClientsEndWithCloseNotify()
    {
        TlsServer server("CANSTOP_HTTP", m_certificate);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const int busy = 14;
        const int idle = 6;
        ChildProcess clients(QStringLiteral("/usr/bin/python3"),
                             {QStringLiteral(CANSTOP_TESTS_DIR "/tls/keepalive_clients.py"),
                              QString::number(port), QString::number(server.processId()),
                              m_certificate.cert, QString::number(busy), QString::number(idle)});
        QCOMPARE(clients.waitForExit(60000), 0);
        QVERIFY2(server.waitForExit(20000) == 0, server.stdErr().constData());
        const QByteArray report = clients.stdOut() + clients.stdErr();
        const QJsonObject seen = QJsonDocument::fromJson(clients.stdOut()).object();
        QVERIFY2(!seen.isEmpty(), report.constData());
        QCOMPARE(seen.value(QStringLiteral("ragged")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("reset")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("partial")).toInt(), 0);
        QCOMPARE(seen.value(QStringLiteral("unclosed")).toInt(), 0);
        QVERIFY2(seen.value(QStringLiteral("other")).toArray().isEmpty(), report.constData());
        QCOMPARE(seen.value(QStringLiteral("clean_close")).toInt(), busy + idle);
    }

    // openssl s_client in the middle of its handshake when the drain
    // begins: it finishes the handshake, is served, and the connection
    // ends with close_notify; or, never finished, it is named at the deadline.
    void handshakeInProgressAtTheDrain_data()
    {
        QTest::addColumn<bool>("finishes");
        QTest::newRow("finished, then served") << true;
        QTest::newRow("named at the deadline") << false;
    }
    void handshakeInProgressAtTheDrain()
    {
        QFETCH(bool, finishes);
        TlsServer server("CANSTOP_HTTP", m_certificate, finishes ? 20000 : 1500);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        HoldingProxy proxy(port);
        QVERIFY(proxy.port());
        ChildProcess client(QStringLiteral("openssl"),
                            {QStringLiteral("s_client"), QStringLiteral("-connect"),
                             QStringLiteral("127.0.0.1:%1").arg(proxy.port()),
                             QStringLiteral("-servername"), QStringLiteral("localhost"),
                             QStringLiteral("-CAfile"), m_certificate.cert,
                             QStringLiteral("-verify_return_error"), QStringLiteral("-quiet")});
        QVERIFY(client.write("GET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        // The server has answered the ClientHello; the client has not seen it.
        QTRY_VERIFY_WITH_TIMEOUT(proxy.held() > 0, 20000);
        server.signal(SIGTERM);
        QVERIFY(server.waitForOutput("stopped listening"));
        if (!finishes) {
            QCOMPARE(server.waitForExit(20000), 1);
            QVERIFY2(server.stdErr().contains("TLS handshake in progress"),
                     server.stdErr().constData());
            return;
        }
        proxy.release();
        QTRY_VERIFY_WITH_TIMEOUT(client.hasExited(), 20000);
        QVERIFY2(client.waitForExit(0) == 0, (client.stdErr() + server.stdErr()).constData());
        const QByteArray response = client.stdOut();
        QVERIFY2(response.startsWith("HTTP/1.1 200 OK\r\n"), response.constData());
        QVERIFY2(response.contains("\r\nConnection: close\r\n"), response.constData());
        QVERIFY2(response.endsWith("\r\n\r\nfast\n"), response.constData());
        QVERIFY2(!client.stdErr().contains("unexpected eof"), client.stdErr().constData());
        QVERIFY2(server.waitForExit(20000) == 0, server.stdErr().constData());
        QVERIFY2(server.stdErr().contains("1 session(s) drained"), server.stdErr().constData());
    }

    // Python's websockets over wss, 100 clients: each gets close code 1001
    // inside TLS, none sees the connection drop (1006).
    void wssClientsSeeGoingAway()
    {
        TlsServer server("CANSTOP_WEBSOCKET", m_certificate);
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        const int count = 100;
        ChildProcess clients(QStringLiteral("/usr/bin/python3"),
                             {QStringLiteral(CANSTOP_TESTS_DIR "/websocket/echo_clients.py"),
                              QString::number(port), QString::number(server.processId()),
                              QString::number(count), m_certificate.cert});
        QCOMPARE(clients.waitForExit(90000), 0);
        QVERIFY2(server.waitForExit(20000) == 0, server.stdErr().constData());
        const QByteArray report = clients.stdOut() + clients.stdErr();
        const QJsonObject seen = QJsonDocument::fromJson(clients.stdOut()).object();
        QVERIFY2(!seen.isEmpty(), report.constData());
        const QJsonObject codes = seen.value(QStringLiteral("codes")).toObject();
        QCOMPARE(codes.value(QStringLiteral("1001")).toInt(), count);
        QCOMPARE(codes.size(), 1);
        QVERIFY2(seen.value(QStringLiteral("other")).toArray().isEmpty(), report.constData());
        QVERIFY2(server.stdErr().contains(QByteArray::number(count) + " session(s) drained"),
                 server.stdErr().constData());
    }

    // The certificate files replaced, then SIGHUP: new connections get the
    // new certificate, an established one goes on with the old. Then a
    // broken file: refused in one line, the new certificate still served,
    // and systemd told (READY=1 with a STATUS= naming the error).
    void certificatesRenewedOnReload()
    {
        const Certificate first = makeCertificate(m_dir, QStringLiteral("first"));
        const Certificate second = makeCertificate(m_dir, QStringLiteral("second"));
        const Certificate served{m_dir.filePath(QStringLiteral("served.pem")),
                                 m_dir.filePath(QStringLiteral("served.key"))};
        QVERIFY(replaceFile(first.cert, served.cert) && replaceFile(first.key, served.key));
        NotifyReceiver systemd;
        QVERIFY(systemd.isBound());
        TlsServer server("CANSTOP_HTTP", served, 20000,
                         environmentWith(QStringLiteral("NOTIFY_SOCKET"),
                                         QString::fromLocal8Bit(systemd.address())));
        const quint16 port = server.waitForPort();
        QVERIFY(port);
        QVERIFY(systemd.waitFor("READY=1"));

        const std::unique_ptr<QSslSocket> established = connectTrusting(port, {first, second});
        QVERIFY(established->isEncrypted());
        QCOMPARE(established->peerCertificate().serialNumber(), first.serial());
        QVERIFY(getFast(*established).endsWith("fast\n"));

        QVERIFY(replaceFile(second.cert, served.cert) && replaceFile(second.key, served.key));
        server.signal(SIGHUP);
        QVERIFY(systemd.waitFor("RELOADING=1"));
        const auto reloaded = systemd.waitFor("READY=1");
        QVERIFY(reloaded);
        QVERIFY2(!reloaded->value("STATUS").contains("failed"), reloaded->text.constData());
        QVERIFY2(server.waitForOutput("serial " + second.serial()), server.stdErr().constData());
        QCOMPARE(connectTrusting(port, {first, second})->peerCertificate().serialNumber(),
                 second.serial());
        const QByteArray again = getFast(*established);
        QVERIFY2(again.endsWith("fast\n"), again.constData());
        QCOMPARE(established->peerCertificate().serialNumber(), first.serial());

        QFile broken(served.cert);
        QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
        broken.write("not a certificate\n");
        broken.close();
        server.signal(SIGHUP);
        QVERIFY(systemd.waitFor("RELOADING=1"));
        const auto refused = systemd.waitFor("READY=1");
        QVERIFY(refused);
        QVERIFY2(refused->value("STATUS").contains("reload failed"), refused->text.constData());
        QVERIFY2(refused->value("STATUS").contains("no PEM certificate"),
                 refused->text.constData());
        QCOMPARE(connectTrusting(port, {first, second})->peerCertificate().serialNumber(),
                 second.serial());
        QVERIFY(server.waitForOutput("TLS certificate not reloaded"));
        QCOMPARE(server.stdErr().count("TLS certificate not reloaded"), 1);

        server.signal(SIGTERM);
        QVERIFY2(server.waitForExit(20000) == 0, server.stdErr().constData());
    }

    // The examples refuse one file without the other, and files they
    // cannot use, before listening: status 2 and one line.
    void badTlsOptionsAreRefused_data()
    {
        QTest::addColumn<QByteArray>("program");
        QTest::addColumn<bool>("bothFiles");
        QTest::addColumn<QByteArray>("message");
        for (const char *program : {"CANSTOP_HTTP", "CANSTOP_WEBSOCKET"}) {
            QTest::addRow("%s, --tls-cert alone", program)
                << QByteArray(program) << false
                << QByteArray("--tls-cert and --tls-key go together");
            QTest::addRow("%s, a key file as the certificate", program)
                << QByteArray(program) << true << QByteArray("TLS certificate refused: ");
        }
    }
    void badTlsOptionsAreRefused()
    {
        QFETCH(QByteArray, program);
        QFETCH(bool, bothFiles);
        QFETCH(QByteArray, message);
        QStringList arguments{QStringLiteral("--port"), QStringLiteral("0"),
                              QStringLiteral("--tls-cert"), m_certificate.key};
        if (bothFiles)
            arguments += {QStringLiteral("--tls-key"), m_certificate.key};
        ChildProcess server(QString::fromLocal8Bit(qgetenv(program.constData())), arguments);
        QCOMPARE(server.waitForExit(20000), 2);
        QVERIFY2(server.stdErr().contains(message), server.stdErr().constData());
        QVERIFY(!server.stdErr().contains("listening on"));
    }

    // What setCertificateFiles() refuses: one warning each, nothing changed.
    void badCertificatesAreRefused_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("warning");
        QTest::newRow("no file") << "missing"
                                 << "cannot read the certificate file";
        QTest::newRow("not PEM") << "garbage"
                                 << "no PEM certificate";
        QTest::newRow("another key") << "mismatch"
                                     << "the key does not fit the certificate";
        QTest::newRow("expired") << "expired"
                                 << "the certificate expired at";
    }
    void badCertificatesAreRefused()
    {
        QFETCH(QString, kind);
        QFETCH(QString, warning);
        const Certificate other = makeCertificate(m_dir, QStringLiteral("other"));
        Certificate bad{other.cert, m_certificate.key};
        if (kind == QLatin1String("missing")) {
            bad.cert = m_dir.filePath(QStringLiteral("nothing.pem"));
        } else if (kind == QLatin1String("garbage")) {
            bad.cert = m_dir.filePath(QStringLiteral("garbage.pem"));
            QFile file(bad.cert);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
        } else if (kind == QLatin1String("expired")) {
            bad = {m_dir.filePath(QStringLiteral("expired.pem")),
                   m_dir.filePath(QStringLiteral("expired.key"))};
            QProcess python;
            python.start(QStringLiteral("/usr/bin/python3"),
                         {QStringLiteral(CANSTOP_TESTS_DIR "/tls/expired_certificate.py"), bad.cert,
                          bad.key});
            QVERIFY(python.waitForFinished(30000));
            QCOMPARE(python.exitCode(), 0);
        }
        TestManager manager;
        canstop::GracefulSslServer server(&manager);
        QVERIFY(server.setCertificateFiles(m_certificate.cert, m_certificate.key));
        QSignalSpy changed(&server, &canstop::GracefulSslServer::certificateChanged);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^TLS certificate refused: .*") +
                                                QRegularExpression::escape(warning)));
        QVERIFY(!server.setCertificateFiles(bad.cert, bad.key));
        QCOMPARE(server.certificate().serialNumber(), m_certificate.serial());
        QCOMPARE(changed.count(), 0);
        // reloadCertificates() reads the files that were taken, not these.
        QVERIFY(server.reloadCertificates());
        QCOMPARE(changed.count(), 1);
    }

    // A client that does not speak TLS: its handshake fails, the
    // connection is closed and its session ends, with no warning.
    void failedHandshakeCountsNothing()
    {
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        TestManager manager;
        canstop::GracefulSslServer server(&manager);
        QVERIFY(server.setCertificateFiles(m_certificate.cert, m_certificate.key));
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QSignalSpy failed(&server, &canstop::GracefulSslServer::errorOccurred);
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10000));
        client.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 20000);
        QVERIFY(failed.count() >= 1);
        QVERIFY(client.error() != QAbstractSocket::SocketTimeoutError);
        QTRY_COMPARE_WITH_TIMEOUT(manager.activeSessions(), 0, 20000);
        QVERIFY(!server.hasPendingConnections());
    }

    // Worker threads: each handshake in the connection's own thread, the
    // connection served there once encrypted, and all drained as one server.
    void servesTlsInWorkerThreads()
    {
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        TestManager manager;
        canstop::GracefulSslServer server(&manager);
        QVERIFY(server.setCertificateFiles(m_certificate.cert, m_certificate.key));
        std::mutex mutex;
        std::set<QThread *> servedIn;
        QVERIFY(server.serveInThreads(2, [&](QTcpSocket *connection) {
            {
                const std::lock_guard lock(mutex);
                servedIn.insert(QThread::currentThread());
            }
            QVERIFY(static_cast<QSslSocket *>(connection)->isEncrypted());
            QObject::connect(connection, &QTcpSocket::readyRead, connection,
                             [connection] { connection->write(connection->readAll()); });
        }));
        QVERIFY(server.listen(QHostAddress::LocalHost));

        constexpr int Clients = 6;
        std::vector<std::unique_ptr<QSslSocket>> clients;
        for (int i = 0; i < Clients; ++i) {
            clients.push_back(connectTrusting(server.serverPort(), {m_certificate}));
            QVERIFY(clients.back()->isEncrypted());
            clients.back()->write("ping " + QByteArray::number(i));
        }
        for (int i = 0; i < Clients; ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(clients[i]->bytesAvailable(), qint64(6), 10000);
            QCOMPARE(clients[i]->readAll(), "ping " + QByteArray::number(i));
        }
        QCOMPARE(manager.activeSessions(), Clients);
        {
            const std::lock_guard lock(mutex);
            QCOMPARE(servedIn.size(), size_t(2));
            QVERIFY(!servedIn.count(QThread::currentThread()));
        }

        manager.requestShutdown();
        QTRY_COMPARE_WITH_TIMEOUT(manager.state(), canstop::LifecycleManager::State::Stopped,
                                  10000);
        QVERIFY(manager.report().isClean());
        QCOMPARE(manager.report().sessionsDrained(), Clients);
        for (const auto &client : clients) {
            QTRY_COMPARE_WITH_TIMEOUT(client->state(), QAbstractSocket::UnconnectedState, 10000);
            QCOMPARE(client->error(), QAbstractSocket::RemoteHostClosedError);
        }
    }

private:
    QTemporaryDir m_dir;
    Certificate m_certificate;
};

CANSTOP_TEST_MAIN(TestTls)
#include "tst_tls.moc"
