// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Built with only what `pkg-config --cflags --libs canstop-network` gives.
#include <canstop/gracefultcpserver.h>
#include <canstop/lifecyclemanager.h>
#include <canstop/version.h>

#include <QCoreApplication>
#include <QTimer>

static_assert(CANSTOP_VERSION >= CANSTOP_VERSION_CHECK(0, 1, 0));
static_assert(CANSTOP_VERSION < CANSTOP_VERSION_CHECK(CANSTOP_VERSION_MAJOR + 1, 0, 0));

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    canstop::LifecycleManager lifecycle;
    canstop::GracefulTcpServer server(&lifecycle);
    if (!server.listen(QHostAddress::LocalHost))
        return 3;
    QTimer::singleShot(0, &lifecycle, [&lifecycle] { lifecycle.requestShutdown(42); });
    return lifecycle.exitCode(app.exec());
}
