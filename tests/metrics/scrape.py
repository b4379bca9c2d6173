#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""Scrapes a /metrics URL once, as Prometheus does, and parses the answer
with prometheus_client's parser of its format. Prints one JSON object: the
content type, whether the text ends with "# EOF", and every sample (name,
labels, value). A text the parser refuses ends the script with status 1.

usage: scrape.py URL [prometheus|openmetrics]
"""

import json
import sys
import urllib.request

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

# What Prometheus 2 sends: OpenMetrics first, the text format as a fallback.
OPENMETRICS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,"
    "application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def main():
    url = sys.argv[1]
    openmetrics = len(sys.argv) > 2 and sys.argv[2] == "openmetrics"
    headers = {"Accept": OPENMETRICS_ACCEPT} if openmetrics else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        content_type = response.headers["Content-Type"]
        text = response.read().decode("utf-8")
    parse = parse_openmetrics if openmetrics else parse_prometheus
    samples = [
        {"name": sample.name, "labels": sample.labels, "value": sample.value}
        for family in parse(text)
        for sample in family.samples
    ]
    print(
        json.dumps(
            {
                "contentType": content_type,
                "endsWithEof": text.endswith("# EOF\n"),
                "samples": samples,
            }
        )
    )


if __name__ == "__main__":
    main()
