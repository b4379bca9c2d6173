# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""HTTP clients of Python's http.client across a server's upgrades.

upgrade_clients.py PORT BUSY PAUSING SHORT

BUSY keep-alive connections send requests back to back; PAUSING ones wait
longer than the server's idle grace between requests, so a drain may close
them while idle; SHORT clients make one connection per request. "responses N" is printed
for every ten responses. A
connection the server ends is opened again, as keep-alive clients do: after
a response that said "Connection: close", or, for one closed while idle,
with the request sent again (nothing of it was answered). They run until
standard input closes, then print one JSON object with what they saw.
"""

import http.client
import json
import sys
import threading
import time

port, busy, pausing, short = (int(a) for a in sys.argv[1:5])
stop = threading.Event()
lock = threading.Lock()
seen = {
    "responses": 0,        # complete, status 200, the right body
    "said_close": 0,       # of those, with Connection: close
    "closed_while_idle": 0,  # EOF before any byte of a response (sent again)
    "busy_closed_while_idle": 0,  # of those, on a busy connection
    "refused": 0,
    "reset": 0,            # ECONNRESET or EPIPE
    "partial": 0,          # a response cut short
    "other": [],
}


def count(key, n=1):
    with lock:
        seen[key] += n
        if key == "responses" and seen[key] % 10 == 0:
            print("responses", seen[key], flush=True)


def request(connection, headers=None):
    """One GET /fast; returns whether the response said Connection: close."""
    connection.request("GET", "/fast", headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200 or body != b"fast\n":
        raise RuntimeError(f"status {response.status}, body {body!r}")
    return (response.getheader("Connection") or "").lower() == "close"


def outcome(error, kind):
    """Counts an exception; true if the client may go on."""
    if isinstance(error, http.client.RemoteDisconnected):
        count("closed_while_idle")
        if kind == "busy":
            count("busy_closed_while_idle")
        return True
    if isinstance(error, ConnectionRefusedError):
        count("refused")
    elif isinstance(error, (ConnectionResetError, BrokenPipeError)):
        count("reset")
    elif isinstance(error, http.client.IncompleteRead):
        count("partial")
    else:
        with lock:
            seen["other"].append(repr(error))
    return False


def keep_alive_client(kind):
    connection = None
    while not stop.is_set():
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            closing = request(connection)
        except Exception as error:  # anything but a close while idle is a finding
            connection.close()
            connection = None
            if not outcome(error, kind):
                return
            continue
        count("responses")
        if closing:
            count("said_close")
            connection.close()
            connection = None
        if kind == "pausing":
            time.sleep(0.4)
    if connection is not None:
        connection.close()


def short_client():
    while not stop.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            request(connection, {"Connection": "close"})
        except Exception as error:
            connection.close()
            if not outcome(error, "short"):
                return
            continue
        connection.close()
        count("responses")


threads = [threading.Thread(target=keep_alive_client, args=("busy",)) for _ in range(busy)]
threads += [threading.Thread(target=keep_alive_client, args=("pausing",)) for _ in range(pausing)]
threads += [threading.Thread(target=short_client) for _ in range(short)]
for thread in threads:
    thread.start()
sys.stdin.read()
stop.set()
for thread in threads:
    thread.join()
print(json.dumps(seen), flush=True)
