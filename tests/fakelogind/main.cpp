// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

// A stand-in for systemd-logind's manager object on the bus that
// DBUS_SYSTEM_BUS_ADDRESS names (a private dbus-daemon): the part of
// org.freedesktop.login1(5) that inhibitor locks use. It prints what it
// sees, one line each, and emits the signals it is told to on stdin:
//
//   stdout: "ready", "inhibit N what=W who=O why=Y mode=M",
//           "released N after MS ms" (every copy of lock N's fd is closed;
//           MS counted from the last PrepareFor...(true), or from the lock)
//   stdin:  "shutdown" / "cancel-shutdown" (PrepareForShutdown true/false),
//           "sleep" / "resume" (PrepareForSleep true/false)
//
// --delay-max-ms N sets InhibitDelayMaxUSec (5000 ms, logind's default);
// --refuse answers every Inhibit() with an error, as logind does to a
// program it does not allow.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusContext>
#include <QDBusUnixFileDescriptor>
#include <QElapsedTimer>
#include <QSocketNotifier>

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace {

void say(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

class Login1 : public QObject, protected QDBusContext
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.login1.Manager")
    Q_PROPERTY(qulonglong InhibitDelayMaxUSec READ inhibitDelayMaxUSec)

public:
    Login1(qulonglong delayMaxUSec, bool refuse) : m_delayMaxUSec(delayMaxUSec), m_refuse(refuse) {}
    qulonglong inhibitDelayMaxUSec() const { return m_delayMaxUSec; }

    void command(const QByteArray &line)
    {
        if (line == "shutdown" || line == "sleep")
            m_announced.start();
        if (line == "shutdown" || line == "cancel-shutdown")
            Q_EMIT PrepareForShutdown(line == "shutdown");
        else if (line == "sleep" || line == "resume")
            Q_EMIT PrepareForSleep(line == "sleep");
        else if (!line.isEmpty())
            say(QStringLiteral("unknown command %1").arg(QString::fromUtf8(line)));
    }

public Q_SLOTS:
    QDBusUnixFileDescriptor Inhibit(const QString &what, const QString &who, const QString &why,
                                    const QString &mode)
    {
        const int id = ++m_locks;
        say(QStringLiteral("inhibit %1 what=%2 who=%3 why=%4 mode=%5")
                .arg(id)
                .arg(what, who, why, mode));
        if (m_refuse) {
            sendErrorReply(QDBusError::AccessDenied, QStringLiteral("Permission denied"));
            return {};
        }
        int ends[2];
        if (::pipe2(ends, O_CLOEXEC) != 0)
            qFatal("pipe2 failed");
        // The lock is held while any copy of the write end is open: the
        // read end sees the end of the file when the last one closes.
        auto *notifier = new QSocketNotifier(ends[0], QSocketNotifier::Read, this);
        auto *held = new QElapsedTimer;
        held->start();
        connect(
            notifier, &QSocketNotifier::activated, this, [this, notifier, held, id, fd = ends[0]] {
                char byte;
                if (::read(fd, &byte, 1) > 0)
                    return;
                const qint64 ms = m_announced.isValid() && m_announced.elapsed() < held->elapsed()
                                      ? m_announced.elapsed()
                                      : held->elapsed();
                say(QStringLiteral("released %1 after %2 ms").arg(id).arg(ms));
                delete held;
                notifier->deleteLater();
                ::close(fd);
            });
        const QDBusUnixFileDescriptor lock(ends[1]); // a copy of it
        ::close(ends[1]);
        return lock;
    }

Q_SIGNALS:
    void PrepareForShutdown(bool start);
    void PrepareForSleep(bool start);

private:
    const qulonglong m_delayMaxUSec;
    const bool m_refuse;
    int m_locks = 0;
    QElapsedTimer m_announced;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption delayMax(QStringLiteral("delay-max-ms"),
                                      QStringLiteral("InhibitDelayMaxUSec, in ms."),
                                      QStringLiteral("ms"), QStringLiteral("5000"));
    const QCommandLineOption refuse(QStringLiteral("refuse"),
                                    QStringLiteral("Refuses every Inhibit() call."));
    parser.addOptions({delayMax, refuse});
    parser.process(app);

    Login1 login1(parser.value(delayMax).toULongLong() * 1000, parser.isSet(refuse));
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected()) {
        std::fprintf(stderr, "no bus: %s\n", qPrintable(bus.lastError().message()));
        return 1;
    }
    if (!bus.registerObject(QStringLiteral("/org/freedesktop/login1"), &login1,
                            QDBusConnection::ExportAllSlots | QDBusConnection::ExportAllSignals |
                                QDBusConnection::ExportAllProperties) ||
        !bus.registerService(QStringLiteral("org.freedesktop.login1"))) {
        std::fprintf(stderr, "cannot register: %s\n", qPrintable(bus.lastError().message()));
        return 1;
    }

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QByteArray pending;
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] {
        char chunk[256];
        const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n <= 0) {
            QCoreApplication::quit(); // the test has gone
            return;
        }
        pending.append(chunk, n);
        for (qsizetype end; (end = pending.indexOf('\n')) >= 0;) {
            login1.command(pending.left(end).trimmed());
            pending.remove(0, end + 1);
        }
    });
    say(QStringLiteral("ready"));
    return app.exec();
}

#include "main.moc"
