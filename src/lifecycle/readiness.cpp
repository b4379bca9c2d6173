// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#include "readiness_p.h"

#include "logging_p.h"

namespace canstop {

Readiness::Readiness(std::function<bool()> terminationSignalled, QObject *parent)
    : QObject(parent), m_terminationSignalled(std::move(terminationSignalled))
{}

void Readiness::started()
{
    m_running = !m_stopped;
    update();
}

bool Readiness::hold(const QString &what)
{
    if (what.isEmpty()) {
        qCWarning(lcLifecycle, "holdReadiness(): refused: say what holds it");
        return false;
    }
    m_holds.append(what);
    update();
    Q_EMIT holdsChanged();
    return true;
}

bool Readiness::release(const QString &what)
{
    if (!m_holds.removeOne(what)) {
        qCWarning(lcLifecycle, "releaseReadiness(\"%ls\"): refused: nothing by that name holds it",
                  qUtf16Printable(what));
        return false;
    }
    update();
    Q_EMIT holdsChanged();
    return true;
}

void Readiness::beginReload()
{
    if (!m_running)
        return;
    m_reloading = true;
    m_reloadFailures.clear();
    update();
    Q_EMIT reloadStarted();
}

void Readiness::reloadFailed(const QString &error)
{
    m_reloadFailures.append(error);
    Q_EMIT holdsChanged(); // the status says it
}

void Readiness::endReload()
{
    if (!m_reloading)
        return;
    m_reloading = false;
    update();
}

bool Readiness::stop()
{
    const bool wasReady = m_ready.value();
    m_stopped = true;
    m_running = false;
    m_readyNow = false;
    m_ready = false;
    return wasReady;
}

bool Readiness::isReadyNow() const
{
    return m_readyNow.load() && !(m_terminationSignalled && m_terminationSignalled());
}

QString Readiness::notReadyReason() const
{
    if (m_reloading)
        return QStringLiteral("reloading");
    if (!m_holds.isEmpty())
        return QStringLiteral("not ready: %1").arg(m_holds.join(QStringLiteral(", ")));
    return {};
}

void Readiness::update()
{
    const bool now = m_running && m_holds.isEmpty() && !m_reloading;
    if (now == m_ready.value())
        return;
    m_ready = now;
    m_readyNow = now;
    Q_EMIT changed(now);
}

} // namespace canstop
