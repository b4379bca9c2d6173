// canstop-echo: an ordinary Qt echo server, with QTcpServer swapped for
// canstop::GracefulTcpServer and a few lines of lifecycle setup. On SIGTERM
// it stops listening, lets every client have its echo, and exits 0.
#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTcpSocket>

Q_LOGGING_CATEGORY(lcEcho, "echo")

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser options;
    options.addHelpOption();
    options.addOptions({
        {QStringLiteral("port"), QStringLiteral("Port to listen on."), QStringLiteral("port"),
         QStringLiteral("48879")},
        {QStringLiteral("bind"), QStringLiteral("Address to listen on."), QStringLiteral("address"),
         QStringLiteral("127.0.0.1")},
        {QStringLiteral("shutdown-timeout"), QStringLiteral("Shutdown deadline in ms."),
         QStringLiteral("ms"), QStringLiteral("30000")},
        {QStringLiteral("max-pending"),
         QStringLiteral("Unsent bytes per client before reading "
                        "from it pauses."),
         QStringLiteral("bytes"), QStringLiteral("1048576")},
    });
    options.process(app);

    canstop::LifecycleManager lifecycle;
    lifecycle.watchSignals();
    if (!lifecycle.setShutdownTimeout(
            std::chrono::milliseconds(options.value(QStringLiteral("shutdown-timeout")).toInt())))
        return 2;

    canstop::GracefulTcpServer server; // was: QTcpServer server;
    if (!server.setMaxPendingOutput(options.value(QStringLiteral("max-pending")).toLongLong()))
        return 2;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        while (QTcpSocket *client = server.nextPendingConnection()) {
            QObject::connect(client, &QTcpSocket::readyRead, client,
                             [client] { client->write(client->readAll()); });
            QObject::connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
        }
    });

    const QHostAddress address(options.value(QStringLiteral("bind")));
    if (!server.listen(address, options.value(QStringLiteral("port")).toUShort())) {
        qCCritical(lcEcho, "cannot listen: %ls", qUtf16Printable(server.errorString()));
        return 2;
    }
    qCInfo(lcEcho, "listening on %ls:%u", qUtf16Printable(server.serverAddress().toString()),
           server.serverPort());
    return app.exec(); // 0 once every client has had its echo
}
