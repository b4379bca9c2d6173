# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""WebSocket clients of Python's websockets library across a server's SIGTERM.

echo_clients.py PORT PID CLIENTS [CAFILE]

Each client sends text messages one after another, each once the echo of
the last has come back. Once every client has had an echo, the script sends
SIGTERM to PID and waits (at most 30 s) until every connection has closed.
It prints one JSON object: the close codes seen, echoes received, and
anything unexpected. With CAFILE, the clients speak wss, trusting it.
"""

import asyncio
import json
import os
import signal
import ssl
import sys

import websockets

port, pid, count = (int(a) for a in sys.argv[1:4])
context = ssl.create_default_context(cafile=sys.argv[4]) if len(sys.argv) > 4 else None
seen = {"codes": {}, "echoes": 0, "other": []}


async def client(number, started):
    uri = f"{'wss' if context else 'ws'}://127.0.0.1:{port}/"
    async with websockets.connect(uri, ping_interval=None, close_timeout=30,
                                  ssl=context) as ws:
        sent = 0
        try:
            while True:
                message = f"client {number} message {sent}"
                await ws.send(message)
                sent += 1
                echo = await ws.recv()
                if echo != message:
                    seen["other"].append(f"{message!r} came back as {echo!r}")
                seen["echoes"] += 1
                if sent == 1:
                    started.release()
        except websockets.exceptions.ConnectionClosed:
            pass
        await ws.wait_closed()
        code = str(ws.close_code)
        seen["codes"][code] = seen["codes"].get(code, 0) + 1


async def main():
    started = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(client(n, started)) for n in range(count)]
    for _ in range(count):
        await asyncio.wait_for(started.acquire(), 30)
    os.kill(pid, signal.SIGTERM)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    seen["other"] += [repr(r) for r in results if r is not None]


asyncio.run(main())
print(json.dumps(seen))
