// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// Built only under ThreadSanitizer, and expected to fail: a queued call
// that reads what another thread writes with nothing ordering the two. If
// TSan stays silent here, the suppressions hide canstop's own races too.
#include <QCoreApplication>
#include <QMetaObject>
#include <QTimer>

#include <thread>

namespace {
int s_unordered = 0;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::thread writer([&app] {
        s_unordered = 42; // written here...
        QMetaObject::invokeMethod(
            &app, [] { QCoreApplication::exit(s_unordered == 42 ? 0 : 1); }, // ...read there
            Qt::QueuedConnection);
    });
    QTimer::singleShot(10000, &app, [] { QCoreApplication::exit(2); });
    const int code = app.exec();
    writer.join();
    return code;
}
