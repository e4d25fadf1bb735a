#!/usr/bin/env python3
"""A TCP proxy that delays every byte by a fixed time in each direction.

    delayproxy.py --delay-ms 100 LHOST:LPORT=THOST:TPORT ...

Each mapping listens on LHOST:LPORT and forwards every connection to
THOST:TPORT. Data read from one side is written to the other DELAY ms later,
in order, so a round trip through the proxy takes 2 * DELAY more than without
it. A half-close is forwarded after the same delay. Memory is bounded: at most
QUEUE_MAX chunks wait per direction, after which reading pauses. Prints
"ready" on stderr once every listener is bound. Standard library only.
"""

import argparse
import asyncio
import sys
import time

CHUNK = 65536
QUEUE_MAX = 256


async def pump(reader, writer, delay, stats):
    """Copies reader to writer, each chunk held until delay has passed."""
    queue = asyncio.Queue(QUEUE_MAX)

    async def feed():
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((time.monotonic() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((time.monotonic() + delay, b""))

    feeder = asyncio.ensure_future(feed())
    try:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            stats["bytes"] += len(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        feeder.cancel()


async def handle(client_r, client_w, target, delay, stats):
    stats["conns"] += 1
    try:
        server_r, server_w = await asyncio.open_connection(*target)
    except OSError as e:
        print(f"connect {target[0]}:{target[1]}: {e}", file=sys.stderr)
        client_w.close()
        return
    await asyncio.gather(pump(client_r, server_w, delay, stats),
                         pump(server_r, client_w, delay, stats))
    for w in (client_w, server_w):
        w.close()


def hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=int, required=True)
    ap.add_argument("maps", nargs="+", metavar="LHOST:LPORT=THOST:TPORT")
    args = ap.parse_args()
    delay = args.delay_ms / 1000.0
    stats = {"conns": 0, "bytes": 0}
    servers = []
    for m in args.maps:
        listen, _, to = m.partition("=")
        target = hostport(to)
        lhost, lport = hostport(listen)
        servers.append(await asyncio.start_server(
            lambda r, w, t=target: handle(r, w, t, delay, stats),
            lhost, lport, reuse_address=True))
    print("ready", file=sys.stderr, flush=True)
    try:
        while True:
            await asyncio.sleep(3600)
    finally:
        print(f"connections {stats['conns']}, bytes {stats['bytes']}",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
