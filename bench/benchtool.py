#!/usr/bin/env python3
"""Helpers for the benchmark scripts (Python 3 standard library only).

    benchtool.py relay --target PORT --port-file FILE --stats FILE
        A TCP relay on 127.0.0.1 (port chosen by the kernel, written to
        FILE) that forwards every connection to 127.0.0.1:PORT and counts the
        bytes in each direction: the stats file (JSON, rewritten atomically
        every 0.2 s and on SIGTERM) holds {"up", "down", "conns"}, where up is
        connecting side -> target.

    benchtool.py status SOCKET
        One STATUS request over the control socket: prints "records seq".

    benchtool.py wait SOCKET COUNT TIMEOUT [SOCKET...]
        Polls the daemons' status every 20 ms until each holds at least COUNT
        records; exit 1 (saying how many the first short one holds) on
        timeout.

    benchtool.py ports K
        K distinct unused TCP ports on 127.0.0.1, on one line.

    benchtool.py chain --src SOCKET --dst SOCKET --tessera CLI --reps N
                       [--probe fast|slow|both]
        Propagation latency: N times per probe, publishes a record on src
        with `tessera add` and waits until dst holds it. The fast probe
        polls the two daemons' status (every ~1 ms, over the control socket,
        no process start-up) until src and then dst have a new sequence
        number; the slow one asks dst every 20 ms whether it holds the
        record (HELD). Either way the daemons' own commit times (HELD, the
        held-at ring) give held_ms = held at dst - held at src. both (the
        default) alternates them, fast first. Prints one line per
        repetition: "rep src_ms dst_ms latency_ms held_ms probe", the first
        three "-" for the slow probe; latency = dst seen - src seen.

    benchtool.py graph N --seed S
        A random connected graph on nodes 0..N-1 (seeded): a ring over a
        random permutation, plus random chords until every node has degree 3
        or 4 (its target, drawn at random; at most N-1). Prints one line
        "diameter D" then one line "I J" per edge.

    benchtool.py spread --tessera CLI --reps N --seed S [--probe fast|slow|both]
                        SOCKET...
        Propagation to a whole network: N times per probe, publishes a
        record on one of the daemons (drawn at random) with `tessera add`
        and waits until all hold it: the fast probe polls every daemon's
        status every ~1 ms (requests to all sent at once, then the replies
        read; a daemon leaves the poll once it has the record), the slow
        one asks each daemon still lacking it every 20 ms (HELD). Prints
        "rep source node ms held_ms probe dups" per daemon and repetition:
        ms from just before `tessera add` starts ("-" for the slow probe),
        held_ms = the daemon's commit time - the source's (HELD), dups =
        duplicate pushes of the record summed over the network
        (Status.push_duplicates, read pause seconds after the last daemon
        holds it).

    benchtool.py signed-bytes EXPORT [BASE]
        Sums the signed sizes (body + signature bytes) of the records in a
        `tessera export` file, leaving out those (id, version) also present
        in BASE. Prints "count bytes".

The control socket speaks protobuf in 4-byte big-endian length frames; only
the few fields needed here are encoded and decoded by hand (control.proto:
Request.op = 1, Request.id = 2, Reply.code = 1, Reply.status = 7,
Reply.held = 20, HeldAt.held_us = 3, Status.records = 5, Status.seq = 11,
Status.push_duplicates = 62, Status.push_forwarded = 63; op HELD = 81).
"""

import argparse
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

OP_STATUS = 1
OP_HELD = 81


# --- protobuf, the little needed --------------------------------------------

def varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Yields (number, wire type, value) of a message's fields."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


class Control:
    """A control-socket connection, reopened if the daemon drops it."""

    def __init__(self, path):
        self.path = path
        self.sock = None

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        self.sock = s

    def _recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("daemon closed the control connection")
            out += chunk
        return out

    def request(self, payload):
        for attempt in range(2):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(struct.pack(">I", len(payload)) + payload)
                (n,) = struct.unpack(">I", self._recv(4))
                return self._recv(n)
            except (ConnectionError, BrokenPipeError, socket.timeout):
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def send_status(self):
        if self.sock is None:
            self._connect()
        self.sock.sendall(struct.pack(">I", 2) + bytes([0x08, OP_STATUS]))

    def recv_status(self):
        (n,) = struct.unpack(">I", self._recv(4))
        return parse_status(self._recv(n))

    def status(self):
        return parse_status(self.request(bytes([0x08, OP_STATUS])))

    def counters(self):
        return parse_counters(self.request(bytes([0x08, OP_STATUS])))

    def held(self, rid):
        """held_us of record rid (hex) on this daemon, or None."""
        key = rid.encode()
        return parse_held(self.request(bytes([0x08, OP_HELD, 0x12, len(key)]) + key))


def status_fields(reply):
    """(reply code, {number: value}) of a status reply's varint Status fields."""
    code, out = 0, {}
    for num, wt, v in fields(reply):
        if num == 1 and wt == 0:
            code = v
        elif num == 7 and wt == 2:
            out.update((snum, sv) for snum, swt, sv in fields(v) if swt == 0)
    return code, out


def parse_counters(reply):
    """(push_duplicates, push_forwarded) of a status reply; 0 when absent."""
    _, f = status_fields(reply)
    return f.get(62, 0), f.get(63, 0)


class HeldUnsupported(RuntimeError):
    pass


def probe_for(ctl, probe):
    """The probe to run: fast alone when a daemon predates HELD (then the
    held times are "-")."""
    try:
        for c in ctl:
            c.held("00")
    except HeldUnsupported:
        return "fast", False
    return probe, True


def parse_held(reply):
    """held_us of the first HeldAt in a HELD reply, or None."""
    code = 0
    for num, wt, v in fields(reply):
        if num == 1 and wt == 0:
            code = v
        elif num == 20 and wt == 2:
            for hnum, hwt, hv in fields(v):
                if hnum == 3 and hwt == 0:
                    return hv
    if code == 2:
        raise HeldUnsupported("the daemon does not know HELD (an older build)")
    if code != 0:
        raise RuntimeError("held: reply code %d" % code)
    return None


def parse_status(reply):
    code, f = status_fields(reply)
    if code != 0:
        raise RuntimeError("status: reply code %d" % code)
    return f.get(5, 0), f.get(11, 0)


# --- relay ---------------------------------------------------------------

class Relay:
    def __init__(self, target, stats_path):
        self.target = target
        self.stats_path = stats_path
        self.lock = threading.Lock()
        self.up = self.down = self.conns = 0
        self.dirty = True

    def count(self, direction, n):
        with self.lock:
            if direction == "up":
                self.up += n
            else:
                self.down += n
            self.dirty = True

    def write_stats(self):
        with self.lock:
            if not self.dirty:
                return
            doc = {"up": self.up, "down": self.down, "conns": self.conns}
            self.dirty = False
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.stats_path)

    def pump(self, src, dst, direction):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                self.count(direction, len(data))
        except OSError:
            pass
        finally:
            for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    s.shutdown(how)
                except OSError:
                    pass

    def serve(self, client):
        try:
            server = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        with self.lock:
            self.conns += 1
            self.dirty = True
        t = threading.Thread(target=self.pump, args=(server, client, "down"), daemon=True)
        t.start()
        self.pump(client, server, "up")
        t.join()
        client.close()
        server.close()


def cmd_relay(a):
    relay = Relay(a.target, a.stats)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    ls.settimeout(0.2)
    stop = threading.Event()

    def on_term(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    relay.write_stats()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.replace(tmp, a.port_file)
    while not stop.is_set():
        try:
            c, _ = ls.accept()
        except socket.timeout:
            relay.write_stats()
            continue
        c.settimeout(None)
        threading.Thread(target=relay.serve, args=(c,), daemon=True).start()
        relay.write_stats()
    relay.dirty = True
    relay.write_stats()
    ls.close()


# --- status and chain probe ------------------------------------------------

def cmd_status(a):
    records, seq = Control(a.socket).status()
    print(records, seq)


def cmd_wait(a):
    ctl = [Control(p) for p in [a.socket] + a.more]
    deadline = time.monotonic() + a.timeout
    have = 0
    while ctl and time.monotonic() < deadline:
        try:
            have = ctl[0].status()[0]
        except OSError:
            have = 0
        if have >= a.count:
            ctl.pop(0)
        else:
            time.sleep(0.02)
    if ctl:
        sys.exit("%s holds %d records after %g s, expected %d"
                 % (ctl[0].path, have, a.timeout, a.count))


def cmd_ports(a):
    socks = []
    for _ in range(a.k):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def add_record(cli, sock, title):
    """Starts `tessera add` on sock; returns the process (stdout: the ID)."""
    return subprocess.Popen([cli, "-s", sock, "add", "initiative", "--lang", "en",
                             "--title", title], stdout=subprocess.PIPE)


def added_id(proc):
    out, _ = proc.communicate(timeout=30)
    if proc.returncode != 0:
        sys.exit("tessera add failed")
    return out.decode().split()[0]


def held_ms(ctl, rid):
    """Milliseconds (wall clock) at which each daemon committed record rid,
    from its held-at ring; None for a daemon that does not hold it."""
    out = []
    for c in ctl:
        us = c.held(rid)
        out.append(None if us is None else us / 1e3)
    return out


def poll_mode(rep, probe):
    """fast (the ~1 ms status poller) or slow (20 ms HELD polls) for a rep:
    alternating when both are asked for, fast first."""
    if probe == "both":
        return "fast" if rep % 2 == 1 else "slow"
    return probe


def cmd_chain(a):
    src, dst = Control(a.src), Control(a.dst)
    probe, has_held = probe_for([src, dst], a.probe)
    reps = a.reps * (2 if probe == "both" else 1)
    for rep in range(1, reps + 1):
        mode = poll_mode(rep, probe)
        _, base_src = src.status()
        _, base_dst = dst.status()
        title = "propagation probe %d %d" % (rep, time.time_ns())
        t0 = time.perf_counter()
        proc = add_record(a.tessera, a.src, title)
        t_src = t_dst = None
        deadline = t0 + a.timeout
        if mode == "fast":
            while (t_src is None or t_dst is None) and time.perf_counter() < deadline:
                if t_src is None and src.status()[1] > base_src:
                    t_src = time.perf_counter()
                if t_dst is None and dst.status()[1] > base_dst:
                    t_dst = time.perf_counter()
                time.sleep(0.001)
        rid = added_id(proc)
        if mode == "slow":
            while dst.held(rid) is None and time.perf_counter() < deadline:
                time.sleep(0.02)
        h_src, h_dst = held_ms([src, dst], rid) if has_held else (0.0, 0.0)
        if h_dst is None or (mode == "fast" and (t_src is None or t_dst is None)):
            sys.exit("chain: rep %d: the record did not arrive within %g s" % (rep, a.timeout))
        if h_src is None:
            sys.exit("chain: rep %d: the source has no held-at entry for %s" % (rep, rid))
        held = "%.3f" % (h_dst - h_src) if has_held else "-"
        if mode == "fast":
            poll = "%.3f %.3f %.3f" % ((t_src - t0) * 1e3, (t_dst - t0) * 1e3,
                                       max(0.0, t_dst - t_src) * 1e3)
        else:
            poll = "- - -"
        print("%d %s %s %s" % (rep, poll, held, mode), flush=True)
        time.sleep(a.pause)


# --- random graphs and network-wide propagation ------------------------------

def random_graph(n, rng):
    """Ring over a random permutation plus chords to degree 3-4."""
    order = list(range(n))
    rng.shuffle(order)
    edges = set()
    if n == 2:
        edges.add((0, 1))
    elif n > 2:
        for k in range(n):
            i, j = order[k], order[(k + 1) % n]
            edges.add((min(i, j), max(i, j)))
    deg = [0] * n
    for i, j in edges:
        deg[i] += 1
        deg[j] += 1
    want = [min(rng.choice((3, 4)), n - 1) for _ in range(n)]
    for _ in range(100 * n):
        open_ = [i for i in range(n) if deg[i] < want[i]]
        if len(open_) < 2:
            break
        i, j = rng.sample(open_, 2)
        e = (min(i, j), max(i, j))
        if e in edges:
            continue
        edges.add(e)
        deg[i] += 1
        deg[j] += 1
    # A node left short (its last partners were already neighbours) takes
    # one more chord, to a node of degree below 4 if there is one.
    for i in range(n):
        while deg[i] < min(3, n - 1):
            free = [j for j in range(n) if j != i and (min(i, j), max(i, j)) not in edges]
            low = [j for j in free if deg[j] < 4]
            j = rng.choice(low or free)
            edges.add((min(i, j), max(i, j)))
            deg[i] += 1
            deg[j] += 1
    return sorted(edges)


def diameter(n, edges):
    adj = [[] for _ in range(n)]
    for i, j in edges:
        adj[i].append(j)
        adj[j].append(i)
    best = 0
    for s in range(n):
        dist = {s: 0}
        queue = [s]
        for u in queue:
            for v in adj[u]:
                if v not in dist:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        if len(dist) != n:
            raise ValueError("graph is not connected")
        best = max(best, max(dist.values()))
    return best


def cmd_graph(a):
    import random
    edges = random_graph(a.n, random.Random(a.seed))
    print("diameter %d" % diameter(a.n, edges))
    for i, j in edges:
        print(i, j)


def cmd_spread(a):
    import random
    rng = random.Random(a.seed)
    ctl = [Control(s) for s in a.sockets]
    probe, has_held = probe_for(ctl, a.probe)
    reps = a.reps * (2 if probe == "both" else 1)
    for rep in range(1, reps + 1):
        mode = poll_mode(rep, probe)
        src = rng.randrange(len(ctl))
        base = [c.status()[1] for c in ctl]
        dup0 = sum(c.counters()[0] for c in ctl)
        title = "spread probe %d %d" % (rep, time.time_ns())
        t0 = time.perf_counter()
        proc = add_record(a.tessera, a.sockets[src], title)
        seen = {}
        pending = list(range(len(ctl)))
        deadline = t0 + a.timeout
        if mode == "fast":
            while pending and time.perf_counter() < deadline:
                for i in pending:
                    ctl[i].send_status()
                for i in pending:
                    if ctl[i].recv_status()[1] > base[i]:
                        seen[i] = time.perf_counter()
                pending = [i for i in pending if i not in seen]
                time.sleep(0.001)
        rid = added_id(proc)
        if mode == "slow":
            # One HELD request per daemon still lacking it, every 20 ms: the
            # daemons stamp the times, the poll only learns when to stop.
            while pending and time.perf_counter() < deadline:
                pending = [i for i in pending if ctl[i].held(rid) is None]
                if pending:
                    time.sleep(0.02)
        if pending:
            sys.exit("spread: rep %d: %d daemons lack the record after %g s"
                     % (rep, len(pending), a.timeout))
        held = held_ms(ctl, rid) if has_held else [0.0] * len(ctl)
        if any(h is None for h in held):
            sys.exit("spread: rep %d: a daemon has no held-at entry for %s" % (rep, rid))
        # Duplicate deliveries of this record (nothing else moves meanwhile).
        time.sleep(a.pause)
        dups = sum(c.counters()[0] for c in ctl) - dup0
        for i in range(len(ctl)):
            poll = "%.3f" % ((seen[i] - t0) * 1e3) if mode == "fast" else "-"
            h = "%.3f" % (held[i] - held[src]) if has_held else "-"
            print("%d %d %d %s %s %s %d" % (rep, src, i, poll, h, mode, dups))
        sys.stdout.flush()


# --- signed sizes -----------------------------------------------------------

def export_sizes(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            s = d.get("signed")
            if s is None:
                sys.exit("%s:%d: no \"signed\" member" % (path, n))
            size = len(base64.b64decode(s["body"])) + len(base64.b64decode(s["sig"]))
            out[(d.get("id"), d.get("version"))] = size
    return out


def cmd_signed_bytes(a):
    cur = export_sizes(a.export)
    base = export_sizes(a.base) if a.base else {}
    new = [v for k, v in cur.items() if k not in base]
    print(len(new), sum(new))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("relay")
    p.add_argument("--target", type=int, required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--stats", required=True)
    p = sub.add_parser("status")
    p.add_argument("socket")
    p = sub.add_parser("wait")
    p.add_argument("socket")
    p.add_argument("count", type=int)
    p.add_argument("timeout", type=float)
    p.add_argument("more", nargs="*")
    p = sub.add_parser("ports")
    p.add_argument("k", type=int)
    p = sub.add_parser("chain")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--tessera", required=True)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--pause", type=float, default=0.2)
    p.add_argument("--probe", choices=("fast", "slow", "both"), default="both")
    p = sub.add_parser("graph")
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("spread")
    p.add_argument("--tessera", required=True)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--pause", type=float, default=0.3)
    p.add_argument("--probe", choices=("fast", "slow", "both"), default="both")
    p.add_argument("sockets", nargs="+")
    p = sub.add_parser("signed-bytes")
    p.add_argument("export")
    p.add_argument("base", nargs="?")
    a = ap.parse_args()
    {"relay": cmd_relay, "status": cmd_status, "wait": cmd_wait, "ports": cmd_ports, "chain": cmd_chain,
     "graph": cmd_graph, "spread": cmd_spread, "signed-bytes": cmd_signed_bytes}[a.cmd](a)


if __name__ == "__main__":
    main()
