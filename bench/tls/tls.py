# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""TLS: canstop-http --tls-cert beside a bare QHttpServer on a QSslServer.

tls.py CANSTOP_HTTP PLAIN_HTTPS [ROUNDS] [IDLE]

For each server, ROUNDS (3) rounds, alternating, of:
- full TLS handshakes per second: two client processes of Python's ssl
  connect, handshake and close for 4 s (no session resumption);
- the same with one request each (GET /fast, its response read, then the
  close), as a real client's connection goes;
- HTTPS keep-alive requests per second: wrk -t2 -c64 -d4s on GET /fast.
The best round of each is printed, with the ratio. Then the drain of IDLE
(1000) idle HTTPS keep-alive connections (one request each, then silent):
SIGTERM to the last client's end, how each ended (close_notify, or an EOF
without it, or a reset), and the server's exit. Prints figures; asserts
nothing.
"""

import multiprocessing
import os
import re
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

canstop_http, plain_https = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
idle = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
directory = tempfile.mkdtemp(prefix="canstop-bench-tls-")
cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key,
                "-out", cert], check=True, capture_output=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(kind):
    port = free_port()
    if kind == "canstop":
        command = [canstop_http, "--port", str(port), "--tls-cert", cert, "--tls-key", key]
    else:
        command = [plain_https, str(port), cert, key]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{kind} did not listen")


def handshakes(port, seconds, with_request, out):
    context = ssl.create_default_context(cafile=cert)
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                if with_request:
                    tls.sendall(b"GET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    response = b""
                    while not response.endswith(b"\r\n\r\nfast\n"):
                        response += tls.recv(4096)
                done += 1
    out.put(done)


def handshake_rate(port, with_request=False, seconds=4, clients=2):
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=handshakes,
                                       args=(port, seconds, with_request, out))
               for _ in range(clients)]
    for worker in workers:
        worker.start()
    total = sum(out.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def keepalive_rate(port):
    result = subprocess.run(["wrk", "-t2", "-c64", "-d4s", f"https://127.0.0.1:{port}/fast"],
                            capture_output=True, text=True, check=True)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def stop(server):
    server.send_signal(signal.SIGTERM)
    server.wait(30)


measures = (("handshakes", "TLS handshakes/s"),
            ("handshakes+request", "TLS handshakes with one request each/s"),
            ("requests", "HTTPS keep-alive requests/s"))
best = {kind: {measure: 0.0 for measure, _ in measures} for kind in ("canstop", "bare")}
for _ in range(rounds):
    for kind in ("bare", "canstop"):
        server, port = start(kind)
        best[kind]["handshakes"] = max(best[kind]["handshakes"], handshake_rate(port))
        best[kind]["handshakes+request"] = max(best[kind]["handshakes+request"],
                                               handshake_rate(port, with_request=True))
        best[kind]["requests"] = max(best[kind]["requests"], keepalive_rate(port))
        stop(server)
for measure, unit in measures:
    ours, theirs = best["canstop"][measure], best["bare"][measure]
    print(f"{unit}: canstop-http {ours:,.0f}, bare QSslServer {theirs:,.0f}: "
          f"{ours / theirs:.2f}x (best of {rounds})")


def idle_drain(kind):
    server, port = start(kind)
    context = ssl.create_default_context(cafile=cert)
    context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF  # an end without close_notify is an error
    clients = []
    for _ in range(idle):
        tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                  server_hostname="localhost", suppress_ragged_eofs=False)
        tls.sendall(b"GET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n")
        response = b""
        while not response.endswith(b"\r\n\r\nfast\n"):
            response += tls.recv(4096)
        tls.setblocking(False)
        clients.append(tls)
    time.sleep(0.5)  # quiet for longer than the idle grace
    ended = {"close_notify": 0, "no close_notify": 0, "reset": 0}
    selector = selectors.DefaultSelector()
    for tls in clients:
        selector.register(tls, selectors.EVENT_READ)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    last = started
    exited = None
    open_count = len(clients)
    while (open_count or exited is None) and time.monotonic() - started < 30:
        if exited is None and server.poll() is not None:
            exited = time.monotonic()
        for entry, _ in selector.select(timeout=0.01 if not open_count else 1):
            tls = entry.fileobj
            try:
                if tls.recv(4096):
                    continue
                ended["close_notify"] += 1
            except ssl.SSLWantReadError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                ended["reset"] += 1
            except ssl.SSLError:  # UNEXPECTED_EOF_WHILE_READING
                ended["no close_notify"] += 1
            selector.unregister(tls)
            tls.close()
            open_count -= 1
            last = time.monotonic()
    server.wait(30)
    exited = exited or time.monotonic()
    print(f"drain of {idle} idle TLS connections, {kind}: the last end "
          f"{(last - started) * 1000:.0f} ms after SIGTERM, exit at "
          f"{(exited - started) * 1000:.0f} ms (status {server.returncode}); "
          + ", ".join(f"{n} {how}" for how, n in ended.items()))


idle_drain("canstop")
idle_drain("bare")
