// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The health probe's request parser, on what a peer has sent so far. A
// complete request has a method, a path that begins with '/' and holds
// no query, and an Accept value within one line; what follows its head
// changes nothing; a prefix that is already complete is the same request;
// "too large" only past the limit.
#include "probeserver_p.h"

#include <QByteArray>

#include <algorithm>
#include <cstddef>
#include <cstdint>

using canstop::ProbeServer;
using Is = ProbeServer::Request::Is;

namespace {

bool same(const ProbeServer::Request &a, const ProbeServer::Request &b)
{
    return a.is == b.is && a.method == b.method && a.path == b.path && a.accept == b.accept;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The server reads at most one byte past the limit.
    const QByteArray received(reinterpret_cast<const char *>(data),
                              qsizetype(std::min<size_t>(size, ProbeServer::MaxRequestBytes + 1)));
    const ProbeServer::Request request = ProbeServer::parse(received);
    if (request.is == Is::Complete) {
        if (request.method.isEmpty() || !request.path.startsWith('/') || request.path.contains('?'))
            __builtin_trap();
        if (request.accept.contains('\n'))
            __builtin_trap(); // a field's value runs into the next line
        if (!same(ProbeServer::parse(received + "\r\nX-After: 1\r\n\r\n"), request))
            __builtin_trap(); // what follows the head changed the request
    }
    if (request.is == Is::TooLarge && received.size() <= ProbeServer::MaxRequestBytes)
        __builtin_trap();
    const qsizetype cut = size == 0 ? 0 : data[0] % (received.size() + 1);
    const ProbeServer::Request prefix = ProbeServer::parse(received.left(cut));
    if (prefix.is == Is::Complete && !same(prefix, request))
        __builtin_trap(); // complete early, then a different request
    return 0;
}
