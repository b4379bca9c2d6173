#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>

#include <QCoreApplication>
#include <QTimer>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    canstop::LifecycleManager lifecycle;
    if (!lifecycle.watchSignals())
        return 2;
    canstop::GracefulTcpServer server(&lifecycle);
    if (!server.listen(QHostAddress::LocalHost))
        return 3;
    QTimer::singleShot(0, &lifecycle, [&lifecycle] { lifecycle.requestShutdown(42); });
    return app.exec(); // 42, from the shutdown sequence
}
