#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""Checks the Kubernetes example: the manifests parse, the three numbers
keep their rule (lame duck < shutdown timeout, and the grace period above
the shutdown timeout plus canstop's 0.5 s hard-stop grace), and the pod is
annotated for a scrape of /metrics on the probe's port."""
import sys

import yaml


def option(args, name):
    return int(args[args.index(name) + 1])


def main(path):
    with open(path) as manifest:
        documents = [d for d in yaml.safe_load_all(manifest) if d]
    kinds = [d["kind"] for d in documents]
    assert kinds == ["Deployment", "Service"], kinds
    pod = documents[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    lame_duck = option(args, "--lame-duck")
    timeout = option(args, "--shutdown-timeout")
    grace = pod["terminationGracePeriodSeconds"]
    assert 0 < lame_duck < timeout, (lame_duck, timeout)
    assert grace * 1000 > timeout + 500, (grace, timeout)
    probes = {p: container[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe")}
    assert probes == {"readinessProbe": "/readyz", "livenessProbe": "/livez"}, probes
    health = option(args, "--health-port")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["health"] == health, (ports, health)
    annotations = documents[0]["spec"]["template"]["metadata"]["annotations"]
    scrape = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(health),
        "prometheus.io/path": "/metrics",
    }
    assert annotations == scrape, annotations
    print(f"{path}: lame duck {lame_duck} ms < deadline {timeout} ms < grace {grace} s")


if __name__ == "__main__":
    main(sys.argv[1])
