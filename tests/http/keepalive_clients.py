# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""Keep-alive clients of Python's http.client across a server's SIGTERM.

keepalive_clients.py PORT PID BUSY IDLE

BUSY connections send requests back to back (GET /fast, every fifth one
/slow?ms=200); IDLE connections send one request and then wait. Once every
connection has had a response, the script sends SIGTERM to PID itself, and
goes on until the server has closed every connection (at most 20 s). It
prints one JSON object with what the clients saw.
"""

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time

port, pid, busy, idle = (int(a) for a in sys.argv[1:5])
deadline = time.monotonic() + 20
started = threading.Barrier(busy + idle + 1, timeout=20)
terminated = threading.Event()
lock = threading.Lock()
seen = {
    "responses": 0,            # complete, status 200
    "responses_after_term": 0,  # of those, to requests sent after the SIGTERM
    "said_close": 0,           # of those, with Connection: close
    "closed_after_said_close": 0,
    "closed_while_idle": 0,     # EOF before any byte of a response
    "reset": 0,                # ECONNRESET or EPIPE
    "partial": 0,              # a response cut short
    "other": [],
    "unclosed": 0,             # still open at the end
}


def count(key, n=1):
    with lock:
        seen[key] += n


def request(connection, path):
    """One request; returns the response's Connection header, or raises."""
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200 or body not in (b"fast\n", b"slow\n"):
        raise RuntimeError(f"status {response.status}, body {body!r}")
    return (response.getheader("Connection") or "").lower()


def busy_client():
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    request(connection, "/fast")
    count("responses")
    started.wait()
    n = 0
    while time.monotonic() < deadline:
        n += 1
        after_term = terminated.is_set()
        try:
            header = request(connection, "/slow?ms=200" if n % 5 == 0 else "/fast")
        except http.client.RemoteDisconnected:
            count("closed_while_idle")
            return
        except (ConnectionResetError, BrokenPipeError):
            count("reset")
            return
        except http.client.IncompleteRead:
            count("partial")
            return
        except Exception as error:  # anything else is a finding
            with lock:
                seen["other"].append(repr(error))
            return
        count("responses")
        if after_term:
            count("responses_after_term")
        if header == "close":
            count("said_close")
            count("closed_after_said_close")
            return
    count("unclosed")


def idle_client():
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    request(connection, "/fast")
    count("responses")
    started.wait()
    connection.sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        data = connection.sock.recv(1)
    except (ConnectionResetError, BrokenPipeError):
        count("reset")
        return
    except socket.timeout:
        count("unclosed")
        return
    if data:
        with lock:
            seen["other"].append(f"unexpected bytes {data!r}")
    else:
        count("closed_while_idle")


threads = [threading.Thread(target=busy_client) for _ in range(busy)]
threads += [threading.Thread(target=idle_client) for _ in range(idle)]
for thread in threads:
    thread.start()
started.wait()
os.kill(pid, signal.SIGTERM)
terminated.set()
for thread in threads:
    thread.join()
print(json.dumps(seen))
