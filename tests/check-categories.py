#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""Checks that the installed logging categories file lists exactly the
categories the sources define, each with its default level and identifier."""
import pathlib
import re
import sys

LEVELS = {"QtDebugMsg": "DEBUG", "QtInfoMsg": "INFO", "QtWarningMsg": "WARNING",
          "QtCriticalMsg": "CRITICAL"}


def main(sources, categories):
    defined = {}
    for path in pathlib.Path(sources).rglob("*.cpp"):
        for match in re.finditer(r'Q_LOGGING_CATEGORY\((\w+), "([\w.]+)"(?:, (\w+))?\)',
                                 path.read_text()):
            identifier, name, level = match.groups()
            defined[name] = (LEVELS[level or "QtDebugMsg"], identifier)
    listed = {}
    for line in pathlib.Path(categories).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([\w.]+) (.+) DEFAULT_SEVERITY \[(\w+)\] IDENTIFIER \[(\w+)\]", line)
        if not match:
            sys.exit(f"malformed line: {line}")
        listed[match[1]] = (match[3], match[4])
    if defined != listed:
        sys.exit(f"the sources define {defined}\nthe file lists {listed}")
    print(f"{len(listed)} categories, all listed")


if __name__ == "__main__":
    main(*sys.argv[1:])
