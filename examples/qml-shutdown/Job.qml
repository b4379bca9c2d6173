// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

import QtQuick
import Canstop

// One job: a session from the moment it exists until it is destroyed.
Rectangle {
    id: job
    property string title
    property real speed: 0.05 // of the whole, per tick
    property real progress: 0

    width: parent ? parent.width : 0
    height: 36
    color: "#e8e8e8"
    Rectangle {
        width: parent.width * job.progress
        height: parent.height
        color: "#5b9bd5"
    }
    Text {
        anchors.centerIn: parent
        text: job.title + "  " + Math.round(job.progress * 100) + " %"
    }
    Timer {
        interval: 100
        repeat: true
        running: true
        onTriggered: {
            job.progress = Math.min(1, job.progress + job.speed)
            if (job.progress >= 1)
                job.destroy()
        }
    }
    Component.onCompleted: Lifecycle.trackSession(job)
}
