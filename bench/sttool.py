#!/usr/bin/env python3
"""Syncthing helpers for bench/compare.sh (Python 3 standard library only).

    sttool.py init HOME --listen PORT --gui PORT
        Runs `syncthing generate --home HOME --no-default-folder`, then sets,
        in config.xml and before the first start (so that nothing is announced
        or dialled even for a second): listening on tcp://127.0.0.1:PORT only,
        the GUI/REST API on 127.0.0.1:PORT, and global and local discovery,
        relays, NAT traversal, usage reporting, crash reporting, auto-upgrades,
        the browser and the lowered process priority off. Prints the device ID.

    sttool.py check HOME
        Asks the running daemon (REST /rest/config/options) whether the options
        above are in force; exits 1 naming the first one that is not.

    sttool.py api HOME METHOD PATH [JSON]
        One REST call with the API key read from HOME/config.xml; prints the
        reply body.

    sttool.py wait-up HOME TIMEOUT
        Polls /rest/system/status until the daemon answers.

    sttool.py device HOME ID NAME ADDRESS
        Adds a device through the REST API (ADDRESS: tcp://... or dynamic).

    sttool.py folder HOME FID PATH DEVICE_ID...
        Adds (or replaces) folder FID at PATH shared with the devices, through
        the REST API: send-receive, no file watcher and an hourly rescan, so
        that only the scans the benchmark asks for run.

    sttool.py files JSONL DIR
        One file per line of JSONL (DIR/rNNNNN.json, the line's bytes).

    sttool.py wait-files DIR COUNT TIMEOUT
        Polls (every 20 ms) until DIR holds COUNT regular files besides
        Syncthing's own (.stfolder, temporaries); exit 1 on timeout.

    sttool.py probe --home HOME --folder FID --src DIR --dst DIR --reps N
        Propagation latency: N times, writes a new ~1 KB file in src, asks
        the source daemon to scan just that file (POST /rest/db/scan?sub=),
        and polls (every ~1 ms) until the file exists in dst. Prints
        "rep scan_ms dst_ms" per repetition, times from just before the write.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

OFF = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "urAccepted": "-1",
    "autoUpgradeIntervalH": "0",
    "crashReportingEnabled": "false",
    "startBrowser": "false",
    "announceLANAddresses": "false",
    "setLowPriority": "false",
}


def conf(home):
    return ET.parse(os.path.join(home, "config.xml"))


def gui(home):
    g = conf(home).getroot().find("gui")
    return g.find("address").text, g.find("apikey").text


def call(home, method, path, body=None, timeout=30):
    addr, key = gui(home)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://%s%s" % (addr, path), data=data, method=method,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def cmd_init(a):
    subprocess.run(["syncthing", "generate", "--home", a.home, "--no-default-folder"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, HOME=a.home))
    path = os.path.join(a.home, "config.xml")
    tree = ET.parse(path)
    root = tree.getroot()
    opts = root.find("options")
    for el in opts.findall("listenAddress"):
        opts.remove(el)
    la = ET.SubElement(opts, "listenAddress")
    la.text = "tcp://127.0.0.1:%d" % a.listen
    for name, value in OFF.items():
        el = opts.find(name)
        if el is None:
            el = ET.SubElement(opts, name)
        el.text = value
    root.find("gui").find("address").text = "127.0.0.1:%d" % a.gui
    tree.write(path)
    os.chmod(path, 0o600)
    print(root.find("device").get("id"))


def cmd_check(a):
    opts = json.loads(call(a.home, "GET", "/rest/config/options"))
    want = {k: json.loads(v) for k, v in OFF.items()}
    for k, v in want.items():
        if opts.get(k) != v:
            sys.exit("syncthing %s: option %s is %r, want %r" % (a.home, k, opts.get(k), v))
    la = opts.get("listenAddresses")
    if len(la) != 1 or not la[0].startswith("tcp://127.0.0.1:"):
        sys.exit("syncthing %s: listens on %r" % (a.home, la))


def cmd_api(a):
    body = json.loads(a.json) if a.json else None
    print(call(a.home, a.method, a.path, body))


def cmd_wait_up(a):
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        try:
            call(a.home, "GET", "/rest/system/status", timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("syncthing %s: REST API not up after %g s" % (a.home, a.timeout))


def cmd_device(a):
    call(a.home, "POST", "/rest/config/devices",
         {"deviceID": a.id, "name": a.name, "addresses": [a.address]})


def cmd_folder(a):
    body = {"id": a.fid, "label": a.fid, "path": a.path, "type": "sendreceive",
            "devices": [{"deviceID": d} for d in a.devices],
            "rescanIntervalS": 3600, "fsWatcherEnabled": False}
    call(a.home, "PUT", "/rest/config/folders/" + urllib.parse.quote(a.fid), body)


def cmd_files(a):
    os.makedirs(a.dir, exist_ok=True)
    with open(a.jsonl, "rb") as f:
        for i, line in enumerate(f):
            with open(os.path.join(a.dir, "r%05d.json" % i), "wb") as out:
                out.write(line)


def count_files(d):
    n = 0
    with os.scandir(d) as it:
        for e in it:
            if not e.name.startswith(".") and e.is_file(follow_symlinks=False):
                n += 1
    return n


def cmd_wait_files(a):
    deadline = time.monotonic() + a.timeout
    n = 0
    while time.monotonic() < deadline:
        n = count_files(a.dir)
        if n >= a.count:
            return
        time.sleep(0.02)
    sys.exit("%s holds %d files after %g s, expected %d" % (a.dir, n, a.timeout, a.count))


def cmd_probe(a):
    path = "/rest/db/scan?folder=%s&sub=" % urllib.parse.quote(a.folder)
    filler = ("lorem ipsum dolor sit amet " * 40)[:1000]
    for rep in range(1, a.reps + 1):
        name = "probe-%03d-%d.json" % (rep, time.time_ns())
        dst = os.path.join(a.dst, name)
        t0 = time.perf_counter()
        with open(os.path.join(a.src, name), "w") as f:
            f.write('{"probe": %d, "text": "%s"}\n' % (rep, filler))
        call(a.home, "POST", path + urllib.parse.quote(name))
        t_scan = time.perf_counter()
        deadline = t0 + a.timeout
        while not os.path.exists(dst):
            if time.perf_counter() > deadline:
                sys.exit("probe: rep %d: %s did not arrive within %g s" % (rep, name, a.timeout))
            time.sleep(0.001)
        t_dst = time.perf_counter()
        print("%d %.3f %.3f" % (rep, (t_scan - t0) * 1e3, (t_dst - t0) * 1e3), flush=True)
        time.sleep(a.pause)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init")
    p.add_argument("home")
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--gui", type=int, required=True)
    p = sub.add_parser("check")
    p.add_argument("home")
    p = sub.add_parser("api")
    p.add_argument("home")
    p.add_argument("method")
    p.add_argument("path")
    p.add_argument("json", nargs="?")
    p = sub.add_parser("wait-up")
    p.add_argument("home")
    p.add_argument("timeout", type=float)
    p = sub.add_parser("device")
    for x in ("home", "id", "name", "address"):
        p.add_argument(x)
    p = sub.add_parser("folder")
    p.add_argument("home")
    p.add_argument("fid")
    p.add_argument("path")
    p.add_argument("devices", nargs="+")
    p = sub.add_parser("files")
    p.add_argument("jsonl")
    p.add_argument("dir")
    p = sub.add_parser("wait-files")
    p.add_argument("dir")
    p.add_argument("count", type=int)
    p.add_argument("timeout", type=float)
    p = sub.add_parser("probe")
    p.add_argument("--home", required=True)
    p.add_argument("--folder", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--pause", type=float, default=0.2)
    a = ap.parse_args()
    {"init": cmd_init, "check": cmd_check, "api": cmd_api, "wait-up": cmd_wait_up,
     "device": cmd_device, "folder": cmd_folder, "files": cmd_files,
     "wait-files": cmd_wait_files, "probe": cmd_probe}[a.cmd](a)


if __name__ == "__main__":
    main()
