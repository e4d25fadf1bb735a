#!/usr/bin/env python3
"""Holds N idle TCP connections to HOST:PORT for SECONDS, from source
addresses 127.0.0.2 .. 127.0.0.(ADDRS+1), reopening each one the server
closes (at most once a second per connection, so the load is bounded).
Sends nothing. Prints one JSON line: connections opened, closed by the
server, the most open at once, connect errors, and the time from open to
close of the connections the server closed (quickest and slowest)."""
import json
import resource
import selectors
import socket
import sys
import time

host, port, n, addrs, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), float(sys.argv[5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))

sel = selectors.DefaultSelector()
stats = {"opened": 0, "closed_by_server": 0, "max_open": 0, "connect_errors": 0}
lifetimes = []
slots = [{"sock": None, "since": 0.0, "retry": 0.0} for _ in range(n)]
open_now = 0


def open_slot(i, now):
    global open_now
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((f"127.0.0.{2 + i % addrs}", 0))
        s.connect_ex((host, port))
    except OSError:
        stats["connect_errors"] += 1
        s.close()
        slots[i]["retry"] = now + 1.0
        return
    slots[i].update(sock=s, since=now)
    sel.register(s, selectors.EVENT_READ, i)
    stats["opened"] += 1
    open_now += 1
    stats["max_open"] = max(stats["max_open"], open_now)


def close_slot(i, now):
    global open_now
    s = slots[i]["sock"]
    sel.unregister(s)
    s.close()
    open_now -= 1
    slots[i].update(sock=None, retry=now + 1.0)


end = time.monotonic() + secs
while True:
    now = time.monotonic()
    if now >= end:
        break
    for i, sl in enumerate(slots):
        if sl["sock"] is None and now >= sl["retry"]:
            open_slot(i, now)
    for key, _ in sel.select(timeout=0.1):
        i = key.data
        try:
            data = key.fileobj.recv(4096)
        except OSError:
            data = b""
        if not data:
            now = time.monotonic()
            stats["closed_by_server"] += 1
            lifetimes.append(now - slots[i]["since"])
            close_slot(i, now)
for i, sl in enumerate(slots):
    if sl["sock"] is not None:
        close_slot(i, time.monotonic())
if lifetimes:
    stats["quickest_close_s"] = round(min(lifetimes), 2)
    stats["slowest_close_s"] = round(max(lifetimes), 2)
print(json.dumps(stats))
