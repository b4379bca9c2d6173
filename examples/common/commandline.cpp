// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "commandline.h"

#include <canstop/version.h>

#include <algorithm>
#include <climits>
#include <cstdio>

namespace examples {

CommandLine::CommandLine(const QString &program, const QString &description) : m_program(program)
{
    m_parser.setApplicationDescription(description);
    m_parser.addHelpOption();
    m_parser.addVersionOption();
}

void CommandLine::addNumber(const QString &name, const QString &help, const QString &valueName,
                            qint64 min, qint64 max, const QString &defaultValue)
{
    m_parser.addOption({name, help, valueName, defaultValue});
    m_numbers.append({name, min, max});
    m_names.append(name);
}

void CommandLine::addText(const QString &name, const QString &help, const QString &valueName,
                          const QString &defaultValue)
{
    m_parser.addOption({name, help, valueName, defaultValue});
    m_names.append(name);
}

void CommandLine::addFlag(const QString &name, const QString &help)
{
    m_parser.addOption({name, help});
    m_names.append(name);
}

void CommandLine::addPositional(const QString &name, const QString &help, int most)
{
    m_parser.addPositionalArgument(name, help);
    m_mostPositional = most;
}

void CommandLine::addPair(const QString &first, const QString &second)
{
    m_pairs.append({first, second});
}

CommandLine::Outcome CommandLine::parse(const QStringList &arguments)
{
    m_error.clear();
    if (!m_parser.parse(arguments)) {
        m_error = m_parser.errorText();
        return Outcome::Refused;
    }
    if (m_parser.isSet(QStringLiteral("help")) || m_parser.isSet(QStringLiteral("help-all")))
        return Outcome::Help;
    if (m_parser.isSet(QStringLiteral("version")))
        return Outcome::Version;
    if (m_parser.positionalArguments().size() > m_mostPositional) {
        m_error = m_mostPositional == 0
                      ? QStringLiteral("unexpected argument '%1'")
                            .arg(m_parser.positionalArguments().constFirst())
                      : QStringLiteral("expected at most %1 argument(s)").arg(m_mostPositional);
        return Outcome::Refused;
    }
    for (const Number &option : std::as_const(m_numbers)) {
        if (!m_parser.isSet(option.name) && m_parser.value(option.name).isEmpty())
            continue; // optional, not given
        bool ok = false;
        const qint64 value = m_parser.value(option.name).toLongLong(&ok);
        if (!ok || value < option.min || value > option.max) {
            m_error = QStringLiteral("--%1 %2: expected a whole number from %3 to %4")
                          .arg(option.name, m_parser.value(option.name))
                          .arg(option.min)
                          .arg(option.max);
            return Outcome::Refused;
        }
    }
    for (const auto &[first, second] : std::as_const(m_pairs)) {
        if (m_parser.isSet(first) != m_parser.isSet(second)) {
            m_error = QStringLiteral("--%1 and --%2 go together").arg(first, second);
            return Outcome::Refused;
        }
    }
    return Outcome::Run;
}

int CommandLine::handle(const QStringList &arguments)
{
    switch (parse(arguments)) {
    case Outcome::Run:
        return -1;
    case Outcome::Help:
        std::fputs(qPrintable(m_parser.helpText()), stdout);
        return 0;
    case Outcome::Version:
        std::printf("%s %s\n", qPrintable(m_program), CANSTOP_VERSION_STRING);
        return 0;
    case Outcome::Refused:
        break;
    }
    std::fprintf(stderr, "%s: %s\n", qPrintable(m_program), qPrintable(m_error));
    return 2;
}

qint64 CommandLine::number(const QString &name) const
{
    bool ok = false;
    const qint64 value = m_parser.value(name).toLongLong(&ok);
    return ok ? value : -1;
}

QString CommandLine::text(const QString &name) const
{
    return m_parser.value(name);
}

bool CommandLine::isSet(const QString &name) const
{
    return m_parser.isSet(name);
}

QStringList CommandLine::positional() const
{
    return m_parser.positionalArguments();
}

QStringList CommandLine::canonical() const
{
    QStringList arguments{m_program};
    for (const QString &name : m_names) {
        if (!m_parser.isSet(name))
            continue;
        if (m_parser.values(name).isEmpty()) { // a flag
            arguments.append(QStringLiteral("--%1").arg(name));
            continue;
        }
        const bool isNumber = std::any_of(m_numbers.cbegin(), m_numbers.cend(),
                                          [&](const Number &n) { return n.name == name; });
        arguments.append(QStringLiteral("--%1=%2").arg(
            name, isNumber ? QString::number(number(name)) : m_parser.value(name)));
    }
    if (!positional().isEmpty())
        arguments << QStringLiteral("--") << positional();
    return arguments;
}

void addListenOptions(CommandLine &options, quint16 port)
{
    options.addNumber(QStringLiteral("port"),
                      QStringLiteral("Port to listen on; 0: any free one (default %1).").arg(port),
                      QStringLiteral("port"), 0, 65535, QString::number(port));
    options.addText(QStringLiteral("bind"),
                    QStringLiteral("Address to listen on (default 127.0.0.1)."),
                    QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    options.addNumber(QStringLiteral("shutdown-timeout"),
                      QStringLiteral("Shutdown deadline in ms (default 30000)."),
                      QStringLiteral("ms"), 1, INT_MAX, QStringLiteral("30000"));
    addDispatcherOption(options);
}

void addUpgradeOptions(CommandLine &options)
{
    options.addText(QStringLiteral("pid-file"),
                    QStringLiteral("Write the process id to this file once ready; after an "
                                   "upgrade (SIGUSR2) it names the new instance."),
                    QStringLiteral("path"));
    options.addText(QStringLiteral("report-file"),
                    QStringLiteral("Write the shutdown report (JSON) to this file before the "
                                   "exit, whole or not at all."),
                    QStringLiteral("path"));
    options.addNumber(QStringLiteral("upgrade-timeout"),
                      QStringLiteral("How long an upgrade waits for the new instance to be ready "
                                     "before it gives up and serves on (ms, default 30000)."),
                      QStringLiteral("ms"), 1, INT_MAX, QStringLiteral("30000"));
}

void addTlsOptions(CommandLine &options)
{
    options.addText(QStringLiteral("tls-cert"),
                    QStringLiteral("Speak TLS with this certificate chain (PEM, the server's "
                                   "own first), read again on SIGHUP."),
                    QStringLiteral("file"));
    options.addText(QStringLiteral("tls-key"),
                    QStringLiteral("The certificate's private key (PEM, not encrypted)."),
                    QStringLiteral("file"));
    options.addPair(QStringLiteral("tls-cert"), QStringLiteral("tls-key"));
}

void addDispatcherOption(CommandLine &options)
{
    options.addFlag(QStringLiteral("qt-dispatcher"),
                    QStringLiteral("Run on Qt's event dispatcher instead of canstop's (epoll), "
                                   "for comparison."));
}

} // namespace examples
