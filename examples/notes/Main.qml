// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

import QtQuick
import QtQuick.Controls
import Canstop
import Notes

ApplicationWindow {
    id: window
    required property NoteFile note

    width: 480
    height: 360
    visible: true
    title: (note.modified ? "* " : "") + note.path

    TextArea {
        anchors.fill: parent
        text: window.note.text
        onTextChanged: window.note.text = text
        placeholderText: "Type a note"
    }

    // Closing the window asks first; Save or Discard quit, which is the
    // shutdown (and its save, if still needed).
    property bool answered: false
    onClosing: close => {
        if (!note.modified || answered)
            return
        close.accepted = false
        askOnClose.open()
    }
    Dialog {
        id: askOnClose
        anchors.centerIn: parent
        title: "Save changes?"
        standardButtons: Dialog.Save | Dialog.Discard | Dialog.Cancel
        onAccepted: { window.note.save(); window.answered = true; window.close() }
        onDiscarded: { window.note.discard(); window.answered = true; window.close() }
    }

    // A logout: save, asking first when the desktop lets us ask.
    Connections {
        target: Lifecycle
        function onSaveRequested(mayAsk) {
            if (!window.note.modified)
                return
            if (mayAsk && Lifecycle.holdSessionEnd("notes"))
                askOnLogout.open()
            else
                window.note.save()
        }
    }
    Dialog {
        id: askOnLogout
        anchors.centerIn: parent
        title: "Save changes before logging out?"
        standardButtons: Dialog.Save | Dialog.Discard | Dialog.Cancel
        onAccepted: { window.note.save(); Lifecycle.releaseSessionEnd("notes") }
        onDiscarded: { window.note.discard(); close(); Lifecycle.releaseSessionEnd("notes") }
        onRejected: Lifecycle.cancelSessionEnd()
    }

    // The shutdown, whatever started it, while it runs.
    Rectangle {
        anchors.fill: parent
        visible: Lifecycle.shuttingDown
        color: "#c0000000"
        Label {
            anchors.centerIn: parent
            color: "white"
            text: "Saving and closing… (" + Lifecycle.shutdownReason + ")"
        }
    }
}
