#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, for test_ops_notify.sh.

Usage: notify_recv.py SOCKET OUT CONTROL_SOCKET LISTEN_PORT SECONDS

Binds a Unix datagram socket at SOCKET and appends one JSON line per
datagram to OUT. Exits after SECONDS, or at STOPPING=1 plus one second for
stragglers.

To check that READY=1 comes only once the control socket and the peer port
are usable, the receiver first fills its own queue (from throwaway sockets,
until a fresh one cannot send), so that the daemon's first notification
blocks in sendmsg() until we read. While it is blocked we wait for the
control socket and the peer port to accept connections (up to 10 s) and
record what we saw with the first message, which must be READY=1. Were READY
sent before they were bound, the daemon would be stuck before binding them
and the checks would fail.
"""
import json
import socket
import sys
import time


def can_connect(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(addr)
        return True
    except OSError:
        return False
    finally:
        s.close()


def fill(path):
    """Fills path's queue; returns the throwaway sockets, or None."""
    fillers = []
    for _ in range(256):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setblocking(False)
        fillers.append(s)
        sent = 0
        while True:
            try:
                s.sendto(b"FILL=1", path)
                sent += 1
            except BlockingIOError:
                break
        if sent == 0:
            return fillers     # a fresh socket cannot send: the queue is full
    for s in fillers:
        s.close()
    return None


def main():
    path, out, ctl, port, secs = sys.argv[1:6]
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    end = time.monotonic() + float(secs)
    fillers = fill(path)
    with open(out, "a", buffering=1) as f:
        f.write(json.dumps({"listening": True, "filled": fillers is not None}) + "\n")
        seen = None
        if fillers is not None:
            # The daemon starts now; its first sendmsg() blocks.
            limit = time.monotonic() + 10
            while True:
                seen = {"control_ok": can_connect(socket.AF_UNIX, ctl),
                        "listen_ok": can_connect(socket.AF_INET, ("127.0.0.1", int(port)))}
                if (seen["control_ok"] and seen["listen_ok"]) or time.monotonic() > limit:
                    break
                time.sleep(0.1)
            seen["checked_while_blocked"] = True
        while time.monotonic() < end:
            rx.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = rx.recv(4096)
            except socket.timeout:
                break
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            if "FILL" in fields:
                continue
            rec = {"fields": fields, "t": time.monotonic()}
            if seen is not None:
                rec.update(seen)      # the first message, which was blocked
                seen = None
            f.write(json.dumps(rec) + "\n")
            if fields.get("STOPPING") == "1":
                end = min(end, time.monotonic() + 1)


main()
