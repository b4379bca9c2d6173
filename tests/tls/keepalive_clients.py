# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""HTTPS keep-alive clients of Python's ssl across a server's SIGTERM.

keepalive_clients.py PORT PID CAFILE BUSY IDLE

Every connection is Python's ssl with suppress_ragged_eofs=False and without
OP_IGNORE_UNEXPECTED_EOF, so an end without TLS close_notify is an error
(SSLEOFError), not an EOF. BUSY
connections send requests back to back (GET /fast, every fifth one
/slow?ms=200) until a response says Connection: close; IDLE ones send one
request and then wait. Once every connection has had a response, the script
sends SIGTERM to PID itself; then each connection reads until the server's
end (at most 20 s). It prints one JSON object with what the clients saw.
"""

import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])
cafile = sys.argv[3]
busy, idle = int(sys.argv[4]), int(sys.argv[5])
deadline = time.monotonic() + 20
context = ssl.create_default_context(cafile=cafile)
# Python sets it by default (since 3.10): an end without close_notify would
# then look like one with it.
context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
started = threading.Barrier(busy + idle + 1, timeout=20)
terminated = threading.Event()
lock = threading.Lock()
seen = {
    "responses": 0,            # complete, status 200
    "responses_after_term": 0,  # of those, to requests sent after the SIGTERM
    "said_close": 0,           # responses with Connection: close
    "clean_close": 0,          # the server's end: close_notify, then EOF
    "ragged": 0,               # an end without close_notify
    "reset": 0,                # ECONNRESET or EPIPE
    "partial": 0,              # a response cut short
    "other": [],
    "unclosed": 0,             # still open at the end
}


def count(key, n=1):
    with lock:
        seen[key] += n


def ragged(error):
    """An end without close_notify, as OpenSSL 3 reports it."""
    return (isinstance(error, ssl.SSLEOFError)
            or getattr(error, "reason", None) == "UNEXPECTED_EOF_WHILE_READING")


def connect():
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost",
                               suppress_ragged_eofs=False)


def request(tls, path, buffered):
    """One request; returns (Connection header, bytes read past the response)."""
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            raise EOFError("closed before a response" if not data else "response cut short")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 200"):
        raise RuntimeError(f"status line {lines[0]!r}")
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while len(body) < length:
        chunk = tls.recv(4096)
        if not chunk:
            raise EOFError("response cut short")
        body += chunk
    if body[:length] not in (b"fast\n", b"slow\n"):
        raise RuntimeError(f"body {body[:length]!r}")
    return headers.get("connection", "").lower(), body[length:]


def await_end(tls):
    """Reads until the server's end and counts how it ended."""
    tls.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        while True:
            data = tls.recv(4096)
            if not data:
                count("clean_close")
                return
            with lock:
                seen["other"].append(f"unexpected bytes {data[:40]!r}")
    except (ConnectionResetError, BrokenPipeError):
        count("reset")
    except socket.timeout:
        count("unclosed")
    except Exception as error:  # anything else is a finding
        if ragged(error):
            count("ragged")
            return
        with lock:
            seen["other"].append(repr(error))


def client(idle_one):
    tls = connect()
    header, rest = request(tls, "/fast", b"")
    count("responses")
    started.wait()
    n = 0
    while not idle_one and time.monotonic() < deadline:
        n += 1
        after_term = terminated.is_set()
        try:
            header, rest = request(tls, "/slow?ms=200" if n % 5 == 0 else "/fast", rest)
        except EOFError as error:
            if "cut short" in str(error):
                count("partial")
            else:  # closed between requests, with close_notify
                count("clean_close")
            return
        except (ConnectionResetError, BrokenPipeError):
            count("reset")
            return
        except Exception as error:  # anything else is a finding
            if ragged(error):
                count("ragged")
                return
            with lock:
                seen["other"].append(repr(error))
            return
        count("responses")
        if after_term:
            count("responses_after_term")
        if header == "close":
            count("said_close")
            break
    await_end(tls)


threads = [threading.Thread(target=client, args=(False,)) for _ in range(busy)]
threads += [threading.Thread(target=client, args=(True,)) for _ in range(idle)]
for thread in threads:
    thread.start()
started.wait()
os.kill(pid, signal.SIGTERM)
terminated.set()
for thread in threads:
    thread.join()
print(json.dumps(seen))
