#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, for test_ops_notify.sh.

Usage: notify_recv.py SOCKET OUT CONTROL_SOCKET LISTEN_PORT SECONDS

Binds a Unix datagram socket at SOCKET and appends one JSON line per
datagram to OUT. When a datagram carries READY=1 it checks, before reading
anything else, whether the daemon's control socket accepts a connection and
its peer port accepts TCP, and records the answers with the message: READY=1
must mean both are usable. Exits after SECONDS, or at STOPPING=1 plus one
second for stragglers.
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


def main():
    path, out, ctl, port, secs = sys.argv[1:6]
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    end = time.monotonic() + float(secs)
    with open(out, "a", buffering=1) as f:
        f.write(json.dumps({"listening": True}) + "\n")
        while time.monotonic() < end:
            rx.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = rx.recv(4096)
            except socket.timeout:
                break
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            rec = {"fields": fields, "t": time.monotonic()}
            if fields.get("READY") == "1":
                rec["control_ok"] = can_connect(socket.AF_UNIX, ctl)
                rec["listen_ok"] = can_connect(socket.AF_INET, ("127.0.0.1", int(port)))
            f.write(json.dumps(rec) + "\n")
            if fields.get("STOPPING") == "1":
                end = min(end, time.monotonic() + 1)


main()
