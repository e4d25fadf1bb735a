#!/usr/bin/env python3
"""Bounded load on the web view's search page (bench/web_bench.sh).

usage: webload.py PORT --clients K --seconds S --max N --out FILE [--stop FILE]

K threads each request search pages in turn (a rotating list of words in
several languages, filters and pages) over keep-alive connections until S
seconds have passed, N requests were made in all or the stop file exists,
whichever comes first.
Writes one latency in ms per line to FILE and prints "requests errors rps".
"""
import argparse
import http.client
import os
import threading
import time

QUERIES = [
    "/?q=community", "/?q=learning+platform", "/?q=comunidade", "/?q=k%C3%B6z%C3%B6ss%C3%A9g",
    "/?q=inova%C8%9Bii", "/?q=resource&kind=resource", "/?q=project&page=3",
    "/?lang=pt", "/?tag=community-profile", "/?q=profil*", "/communities", "/health",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--max", type=int, default=100000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop")
    a = ap.parse_args()
    lock = threading.Lock()
    lat, errors, made = [], [0], [0]
    end = time.perf_counter() + a.seconds

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
        i = k
        while time.perf_counter() < end and not (a.stop and os.path.exists(a.stop)):
            with lock:
                if made[0] >= a.max:
                    return
                made[0] += 1
            path = QUERIES[i % len(QUERIES)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
            with lock:
                if ok:
                    lat.append((time.perf_counter() - t0) * 1e3)
                else:
                    errors[0] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    with open(a.out, "w") as f:
        f.write("".join("%.3f\n" % x for x in lat))
    print("%d %d %.1f" % (len(lat) + errors[0], errors[0], len(lat) / took if took else 0))


main()
