// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// The tests' main(): QTest's, on canstop's event dispatcher in the main
// thread and in the threads the tests start (startThread()) unless
// CANSTOP_EVENT_DISPATCHER=qt. scripts/test runs the suite both ways.

#include <canstop/eventdispatcher.h>

#include <QCoreApplication>
#include <QTest>
#include <QThread>

namespace canstop::test {

// QThread::start(), on the dispatcher this run of the suite tests.
inline void startThread(QThread &thread)
{
    EventDispatcher::installInThread(&thread);
    thread.start();
}

} // namespace canstop::test

#define CANSTOP_TEST_MAIN(TestObject)                                                              \
    int main(int argc, char *argv[])                                                               \
    {                                                                                              \
        canstop::EventDispatcher::installInMainThread();                                           \
        QCoreApplication app(argc, argv);                                                          \
        TestObject test;                                                                           \
        QTEST_SET_MAIN_SOURCE_PATH                                                                 \
        return QTest::qExec(&test, argc, argv);                                                    \
    }
