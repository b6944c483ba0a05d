#!/usr/bin/env python3
"""A/B of mlws binaries on the per-request rows (create-run, log-metric), robust on a busy box.

Every (round, row, binary) gets a FRESH server (its own home), so no run sees a database another
one grew, and the binaries alternate within each round, so a change in the machine's load hits
both sides. Each run is wrk (bench/wrk_mlflow.lua, 8 connections) under
`perf stat -p <server pid>` and prints, next to wrk's throughput and p50:
- the server's CPU time per answered request (task-clock: user + kernel, all threads);
- context switches and system calls per request, the busiest calls by name;
- the store's group commit from /metrics: mean writes per group, the share of groups of one,
  time per COMMIT;
- the 1-minute load average.
Counts per request (calls, switches, group sizes) barely move with the box's load; wall-clock
throughput does, so read it across several rounds.

Usage:
  python3 bench/http_ab.py OLD_BIN NEW_BIN [--rounds 3] [--seconds 5] [--rows create_run,log_metric]
  python3 bench/http_ab.py BIN "BIN@--io-threads 1"     # the same binary with other flags
Needs wrk and perf (with the syscalls tracepoints: run as root or lower perf_event_paranoid).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wrk_rows  # noqa: E402

CALLS = ["futex", "epoll_wait", "epoll_ctl", "sendmsg", "recvmsg", "write", "writev", "read",
         "timerfd_settime", "fdatasync", "fsync", "pwrite64", "pread64", "fcntl"]
EVENTS = ",".join(["task-clock", "context-switches", "raw_syscalls:sys_enter"]
                  + [f"syscalls:sys_enter_{c}" for c in CALLS])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def perf_counts(path: Path) -> dict[str, float]:
    counts = {}
    for line in path.read_text().splitlines():
        parts = line.split(",")
        if line.startswith("#") or len(parts) < 3 or not parts[0]:
            continue
        try:
            value = float(parts[0])
        except ValueError:
            continue  # <not counted>
        counts[parts[2].split(":")[-1].replace("sys_enter_", "")] = value
    return counts


def metric_values(url: str) -> dict[str, float]:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("mlws_store_write_"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def run_one(binary: str, flags: list[str], row: str, seconds: float, connections: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="mlws-ab-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen([binary, "server", "--host", "127.0.0.1", "--port", str(port),
                                 "--home", str(home)] + flags, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{binary} did not start: see {home}/server.log")
                time.sleep(0.05)
        if row == "create_run":
            eid, _ = wrk_rows.new_runs(url, 0, "ab")
            env = {"EXP_ID": eid}
        else:
            _, runs = wrk_rows.new_runs(url, 2, "ab")
            env = {"RUN_IDS": ",".join(runs)}
        before = metric_values(url)
        out = home / "perf.csv"
        perf = subprocess.Popen(["perf", "stat", "-x,", "-o", str(out), "-e", EVENTS, "-p",
                                 str(proc.pid)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # perf attaches before the first request
        res = wrk_rows.run_wrk(url, "", row, env, seconds, connections, lambda _m: None)
        perf.send_signal(2)
        perf.wait(timeout=30)
        after = metric_values(url)
        res["counts"] = perf_counts(out)
        res["groups"] = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        return res
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(home, ignore_errors=True)


def report(label: str, row: str, res: dict) -> None:
    if res.get("error"):
        print(f"{row:11s} {label:30s} error: {res['error']}", flush=True)
        return
    n = max(1, res["requests"] - res["non_200"])
    c, g = res["counts"], res["groups"]
    print(f"{row:11s} {label:30s} {res['ok_per_s']:8.0f}/s  p50 {res['p50_ms']:6.2f} ms  "
          f"cpu {c.get('task-clock', 0) * 1e3 / n:6.1f} us/req  "
          f"cs {c.get('context-switches', 0) / n:5.2f}/req  errors {res['errors']}  "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    calls = sorted(((k, v / n) for k, v in c.items() if k in CALLS and v > 0), key=lambda x: -x[1])
    print(f"    syscalls/req {c.get('sys_enter', 0) / n:.1f}: "
          + " ".join(f"{k} {v:.2f}" for k, v in calls), flush=True)
    groups = g.get("mlws_store_write_group_size_count", 0)
    if groups:
        ones = g.get('mlws_store_write_group_size_bucket{le="1"}', 0)
        print(f"    group commit: {g['mlws_store_write_group_size_sum'] / groups:.2f} writes/group, "
              f"{ones / groups:.0%} of groups alone, "
              f"{g.get('mlws_store_write_commit_seconds_total', 0) / groups * 1e6:.0f} us/COMMIT",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bins", nargs="+", help="mlws binaries, each optionally BIN@FLAGS")
    ap.add_argument("--rows", default="create_run,log_metric")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    if not wrk_rows.have_wrk() or shutil.which("perf") is None:
        sys.exit("needs wrk and perf on PATH")
    for r in range(args.rounds):
        print(f"-- round {r + 1}", flush=True)
        for row in args.rows.split(","):
            for spec in args.bins:
                binary, _, flags = spec.partition("@")
                label = os.path.basename(binary) + (" " + flags if flags else "")
                report(label, row, run_one(binary, flags.split(), row, args.seconds,
                                           args.connections))


if __name__ == "__main__":
    main()
