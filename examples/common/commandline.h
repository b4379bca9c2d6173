// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QCommandLineParser>
#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

namespace examples {

// The examples' command lines: Qt's QCommandLineParser, with whole-number
// options checked against their ranges. Apart from main(), so that the
// parsing, and the examples' own sets of options, are fuzzed
// (tests/fuzz/fuzz_options.cpp).
class CommandLine
{
public:
    enum class Outcome { Run, Help, Version, Refused };

    CommandLine(const QString &program, const QString &description);

    // A whole number in [min, max]; without a default, optional.
    void addNumber(const QString &name, const QString &help, const QString &valueName, qint64 min,
                   qint64 max, const QString &defaultValue = QString());
    void addText(const QString &name, const QString &help, const QString &valueName,
                 const QString &defaultValue = QString());
    void addFlag(const QString &name, const QString &help);
    // Up to `most` positional arguments.
    void addPositional(const QString &name, const QString &help, int most);
    // Options given together or not at all.
    void addPair(const QString &first, const QString &second);

    // Parses `arguments` (the program first); Refused with error().
    Outcome parse(const QStringList &arguments);
    // For main(): parse(), then the exit status unless it is to run: 0 once
    // the help or the version is printed, 2 once the refusal is; -1 to run.
    int handle(const QStringList &arguments);
    QString error() const { return m_error; }

    // After a parse() that says Run: a number within its range (-1 for an
    // optional one not given), a text, a flag, the positional arguments.
    qint64 number(const QString &name) const;
    QString text(const QString &name) const;
    bool isSet(const QString &name) const;
    QStringList positional() const;

    // What was parsed, written again as `--name=value` and flags: parses
    // to the same values.
    QStringList canonical() const;

    struct Number
    {
        QString name;
        qint64 min;
        qint64 max;
    };
    const QList<Number> &numbers() const { return m_numbers; }

private:
    const QString m_program;
    QCommandLineParser m_parser;
    QList<Number> m_numbers;
    QStringList m_names; // every option's, in the order added
    QList<std::pair<QString, QString>> m_pairs;
    int m_mostPositional = 0;
    QString m_error;
};

// --port (default `port`), --bind (an address, default 127.0.0.1),
// --shutdown-timeout (ms, default 30000) and --qt-dispatcher: what a small
// server needs.
void addListenOptions(CommandLine &options, quint16 port);
// --pid-file, --report-file and --upgrade-timeout: LifecycleManager's
// setPidFile(), setReportFile() and setUpgradeTimeout(), for an operator's
// service manager and upgrades on SIGUSR2.
void addUpgradeOptions(CommandLine &options);
// --tls-cert and --tls-key, together or not at all: PEM files for a
// canstop::GracefulSslServer.
void addTlsOptions(CommandLine &options);
// --qt-dispatcher: chooseEventDispatcher() (dispatcher.h) acts on it.
void addDispatcherOption(CommandLine &options);

} // namespace examples
