// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// The examples' command lines: the first byte picks a set of options
// (canstop-echo's, canstop-local-echo's, the HTTP and WebSocket examples'),
// the rest are the arguments, separated by NUL bytes. What is accepted is
// within its ranges and parses again, written canonically, to the same
// values; the same arguments always get the same answer.
#include "commandline.h"
#include "echo/options.h"
#include "local/options.h"

#include <cstddef>
#include <cstdint>
#include <memory>

using examples::CommandLine;

namespace {

std::unique_ptr<CommandLine> optionsOf(uint8_t which)
{
    auto options = std::make_unique<CommandLine>(QStringLiteral("example"), QString());
    switch (which % 3) {
    case 0:
        addEchoOptions(*options);
        break;
    case 1:
        addLocalEchoOptions(*options);
        break;
    default: // canstop-http's and canstop-websocket's
        examples::addListenOptions(*options, 8080);
        examples::addTlsOptions(*options);
        break;
    }
    return options;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    QStringList arguments{QStringLiteral("example")};
    const QByteArray rest(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    if (!rest.isEmpty()) {
        for (const QByteArray &argument : rest.split('\0'))
            arguments.append(QString::fromUtf8(argument));
    }
    const auto first = optionsOf(data[0]);
    const auto second = optionsOf(data[0]);
    const CommandLine::Outcome outcome = first->parse(arguments);
    if (second->parse(arguments) != outcome || second->error() != first->error())
        __builtin_trap(); // the same arguments, the same answer
    if (outcome == CommandLine::Outcome::Refused && first->error().isEmpty())
        __builtin_trap(); // a refusal says why
    if (outcome != CommandLine::Outcome::Run)
        return 0;
    for (const CommandLine::Number &option : first->numbers()) {
        const qint64 value = first->number(option.name);
        const bool absent = value == -1 && !first->isSet(option.name);
        if (!absent && (value < option.min || value > option.max))
            __builtin_trap(); // within its range
    }
    const QStringList canonical = first->canonical();
    if (second->canonical() != canonical)
        __builtin_trap();
    const auto again = optionsOf(data[0]);
    if (again->parse(canonical) != CommandLine::Outcome::Run || again->canonical() != canonical)
        __builtin_trap(); // written again, the same values
    for (const CommandLine::Number &option : first->numbers()) {
        if (again->number(option.name) != first->number(option.name))
            __builtin_trap();
    }
    if (again->positional() != first->positional())
        __builtin_trap();
    return 0;
}
