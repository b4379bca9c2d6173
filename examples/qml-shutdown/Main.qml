// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

import QtQuick
import Canstop

Window {
    id: window
    width: 480
    height: 240
    visible: true
    title: "canstop: QML shutdown"

    // Closing starts the shutdown; the window stays until it is over.
    onClosing: close => {
        close.accepted = Lifecycle.state === Lifecycle.Stopped
        Lifecycle.requestShutdown()
    }

    Column {
        id: jobs
        anchors.fill: parent
        anchors.margins: 16
        spacing: 8
    }
    Component.onCompleted: {
        const job = Qt.createComponent("Job.qml")
        job.createObject(jobs, { title: "Saving report", speed: 0.030 })
        job.createObject(jobs, { title: "Uploading photos", speed: 0.022 })
        job.createObject(jobs, { title: "Syncing mail", speed: 0.040 })
    }
    property bool shown: false
    onFrameSwapped: if (!shown) {
        shown = true
        console.info("3 jobs running")
    }

    Rectangle {
        id: overlay
        anchors.fill: parent
        visible: Lifecycle.shuttingDown
        color: "#c0202020"
        Rectangle {
            anchors.centerIn: parent
            width: 320
            height: 84
            radius: 8
            color: "#303030"
            Column {
                anchors.centerIn: parent
                spacing: 6
                Text {
                    anchors.horizontalCenter: parent.horizontalCenter
                    color: "#c0c0c0"
                    text: "Shutting down (" + Lifecycle.shutdownReason + ")"
                }
                Text {
                    id: status
                    anchors.horizontalCenter: parent.horizontalCenter
                    color: "white"
                    font.pixelSize: 20
                    text: Lifecycle.activeSessions + " job(s) left, "
                          + Math.ceil(Math.max(0, Lifecycle.remainingMs) / 1000) + " s to go"
                }
            }
        }
        // For the tests: --grab FILE saves the window once the overlay shows.
        onVisibleChanged: {
            const at = Qt.application.arguments.indexOf("--grab")
            if (visible && at > 0)
                window.contentItem.grabToImage(result => {
                    result.saveToFile(Qt.application.arguments[at + 1])
                    console.info("overlay: " + status.text)
                })
        }
    }
}
