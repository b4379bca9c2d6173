// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

#include <QByteArray>
#include <QLocale>
#include <QString>

#include <cmath>
#include <initializer_list>
#include <utility>

namespace canstop {

// Metric families written one after another in the Prometheus text format
// (0.0.4) or in OpenMetrics (1.0.0), whose counter samples end in _total
// and info samples in _info while their families do not. Label values are
// escaped (backslash, double quote, newline), so any name is valid output.
// The closing "# EOF" of OpenMetrics is the caller's: more families may
// follow. Header only: both libraries write metrics.
class MetricsText
{
public:
    enum class Format { Prometheus, OpenMetrics };
    enum class Type { Counter, Gauge, Info };
    using Labels = std::initializer_list<std::pair<const char *, QString>>;

    explicit MetricsText(Format format) : m_format(format) {}

    // Starts a family: `name` without its _total or _info.
    void family(const char *name, Type type, const char *help)
    {
        m_name = name;
        m_type = type;
        const bool open = m_format == Format::OpenMetrics;
        const QByteArray familyName = open ? m_name : m_name + suffix();
        const char *typeName = type == Type::Counter          ? "counter"
                               : type == Type::Gauge || !open ? "gauge"
                                                              : "info";
        m_text +=
            "# HELP " + familyName + ' ' + help + "\n# TYPE " + familyName + ' ' + typeName + '\n';
    }

    // A sample of the family last started.
    void sample(double value, Labels labels = {})
    {
        m_text += m_name + suffix();
        if (labels.size() > 0) {
            char separator = '{';
            for (const auto &[label, text] : labels) {
                m_text += separator;
                m_text += label;
                m_text += "=\"" + escaped(text.toUtf8()) + '"';
                separator = ',';
            }
            m_text += '}';
        }
        m_text += ' ' + number(value) + '\n';
    }

    static const char *contentType(Format format)
    {
        return format == Format::OpenMetrics
                   ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                   : "text/plain; version=0.0.4; charset=utf-8";
    }

    const QByteArray &text() const { return m_text; }

private:
    QByteArray suffix() const
    {
        return m_type == Type::Counter ? QByteArrayLiteral("_total")
               : m_type == Type::Info  ? QByteArrayLiteral("_info")
                                       : QByteArray();
    }

    static QByteArray escaped(QByteArray value)
    {
        return value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    }

    // Whole numbers as such (counters read best that way), others as
    // short as they can be and still read back the same.
    static QByteArray number(double value)
    {
        if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15)
            return QByteArray::number(static_cast<qint64>(value));
        return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
    }

    const Format m_format;
    QByteArray m_text;
    QByteArray m_name;
    Type m_type = Type::Gauge;
};

} // namespace canstop
