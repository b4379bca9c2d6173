// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

import QtQuick
import QtTest
import Canstop

// Bindings to the Lifecycle singleton, in a real QML engine.
TestCase {
    id: testCase
    name: "Lifecycle"

    // What an overlay would bind to.
    readonly property bool overlayShown: Lifecycle.shuttingDown
    readonly property int jobsLeft: Lifecycle.activeSessions
    readonly property int msLeft: Lifecycle.remainingMs
    readonly property int stage: Lifecycle.state
    readonly property string why: Lifecycle.shutdownReason

    Component {
        id: jobComponent
        QtObject {}
    }

    // A logout's save step, answered the way a QML dialog would: later.
    property string answer: "save"
    property bool askedLast: false
    Connections {
        target: Lifecycle
        function onSaveRequested(mayAsk) {
            testCase.askedLast = mayAsk
            if (mayAsk && Lifecycle.holdSessionEnd("notes.txt"))
                answerLater.start()
        }
    }
    Timer {
        id: answerLater
        interval: 50
        onTriggered: {
            if (testCase.answer === "cancel")
                Lifecycle.cancelSessionEnd()
            else
                Lifecycle.releaseSessionEnd("notes.txt")
        }
    }

    SignalSpy {
        id: ticks
        target: Lifecycle
        signalName: "remainingMsChanged"
    }

    function test_1_running() {
        tryCompare(testCase, "stage", Lifecycle.Running)
        compare(overlayShown, false)
        compare(msLeft, -1)
        compare(jobsLeft, 0)
        compare(ticks.count, 0) // no ticking while running
    }

    // Unsaved work: a session while held; the object stays the manager's.
    function test_1b_holdShutdown() {
        const hold = Lifecycle.holdShutdown("saving notes.txt")
        compare(hold.held, true)
        compare(hold.what, "saving notes.txt")
        tryCompare(testCase, "jobsLeft", 1)
        gc() // the manager owns it: not collected
        compare(jobsLeft, 1)
        hold.release()
        compare(hold.held, false)
        tryCompare(testCase, "jobsLeft", 0)
    }

    function test_1c_saveStep() {
        answer = "save"
        compare(Lifecycle.requestSave(true), true) // after the answer
        compare(askedLast, true)
        answer = "cancel"
        compare(Lifecycle.requestSave(true), false) // the logout is cancelled
        compare(Lifecycle.requestSave(false), true) // nobody asked
        compare(askedLast, false)
    }

    function test_2_shutdownFromQml() {
        const first = jobComponent.createObject(testCase)
        const second = jobComponent.createObject(testCase)
        verify(Lifecycle.trackSession(first))
        verify(Lifecycle.trackSession(second))
        tryCompare(testCase, "jobsLeft", 2)

        Lifecycle.requestShutdown()
        compare(stage, Lifecycle.Stopping)
        compare(overlayShown, true)
        compare(why, "requested")
        verify(msLeft > 0 && msLeft <= Lifecycle.shutdownTimeout)

        // Ticks a few times a second while the jobs run on.
        ticks.clear()
        tryVerify(() => ticks.count >= 2, 5000)
        first.destroy()
        tryCompare(testCase, "jobsLeft", 1)
        compare(stage, Lifecycle.Stopping)
        second.destroy()
        tryCompare(testCase, "jobsLeft", 0)
        tryCompare(testCase, "stage", Lifecycle.Stopped)
        compare(msLeft, 0)
        compare(overlayShown, true)
    }

    function test_3_gateIsClosed() {
        const late = jobComponent.createObject(testCase)
        ignoreWarning(/trackSession\(\): QObject refused: the shutdown has begun/)
        verify(!Lifecycle.trackSession(late))
        late.destroy()
        const tooLate = Lifecycle.holdShutdown("too late")
        compare(tooLate.held, false)
        tooLate.release()
    }
}
