// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QLocalSocket>

namespace canstop {

// A connection a GracefulLocalServer accepted: close() closes it as a drain
// does (output flushed, write side shut, input discarded until the peer
// closes), so a peer still sending gets no ECONNRESET.
class LocalServerSocket : public QLocalSocket
{
    Q_OBJECT

public:
    explicit LocalServerSocket(QObject *parent) : QLocalSocket(parent) {}

    void close() override;
};

} // namespace canstop
