// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The HTTP/1.1 framer as a peer feeds it: requests or responses (the first
// byte says which, and whether they answer HEAD), fed whole and split where
// the input says. Every feed reads at least one byte and never more than it
// was given, and the events are the same however the bytes are split.
#include "httpframer_p.h"

#include <QByteArray>

#include <algorithm>
#include <cstddef>
#include <cstdint>

using canstop::HttpFramer;

namespace {

// The events of `stream`, fed in pieces whose lengths come from `cuts`
// (one piece, the whole, when there are none).
QByteArray events(HttpFramer::Side side, bool answersHead, const char *stream, size_t length,
                  const uint8_t *cuts, size_t cutCount)
{
    HttpFramer framer(side);
    framer.setAnswersHead(answersHead);
    QByteArray seen;
    size_t at = 0;
    for (size_t cut = 0; at < length; ++cut) {
        const size_t piece =
            cutCount == 0 ? length - at : std::min<size_t>(length - at, 1 + cuts[cut % cutCount]);
        for (size_t fed = 0; fed < piece;) {
            HttpFramer::Event event;
            const qsizetype taken = framer.feed(stream + at + fed, qsizetype(piece - fed), &event);
            if (taken <= 0 || size_t(taken) > piece - fed)
                __builtin_trap(); // no progress, or read past what it was given
            fed += size_t(taken);
            if (event != HttpFramer::Event::None)
                seen += char('0' + int(event));
        }
        at += piece;
    }
    return seen;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const auto side = data[0] & 1 ? HttpFramer::Side::Responses : HttpFramer::Side::Requests;
    const bool answersHead = data[0] & 2;
    const size_t cutCount = std::min<size_t>(data[1] % 16, size - 2);
    const uint8_t *cuts = data + 2;
    const auto *stream = reinterpret_cast<const char *>(data + 2 + cutCount);
    const size_t length = size - 2 - cutCount;
    const QByteArray whole = events(side, answersHead, stream, length, nullptr, 0);
    const QByteArray split = events(side, answersHead, stream, length, cuts, cutCount);
    if (whole != split)
        __builtin_trap(); // the same bytes split differently framed differently
    return 0;
}
