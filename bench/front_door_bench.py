#!/usr/bin/env python3
"""The HTTP front door under load: log-metric throughput (wrk, 8 connections), idle RSS, and the
RSS of N held idle keep-alive connections. Prints one JSON line per server and, with
--baseline-bin, the ratios new/baseline measured in the same run.

    .venv/bin/python bench/front_door_bench.py --bin build/release/mlws \
        [--baseline-bin /path/to/old/mlws] [--connections 10000] [--seconds 10]

Each server runs on a free loopback port with a fresh home; the held connections each made one
request (so they are keep-alive connections, idle between requests) and stay open while RSS is
read from /proc. The client raises its own file limit; the server raises its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from mlws_testkit.net import free_port  # noqa: E402

HERE = Path(__file__).resolve().parent


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start(binary: str, home: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([binary, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--home", home, "--log-level", "warn", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{binary} did not start")


def wrk_log_metric(url: str, seconds: int) -> float:
    exp = requests.post(url + "/api/2.0/mlflow/experiments/create",
                        json={"name": f"bench-{time.time()}"}, timeout=30).json()["experiment_id"]
    run = requests.post(url + "/api/2.0/mlflow/runs/create", json={"experiment_id": exp},
                        timeout=30).json()["run"]["info"]["run_id"]
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s",
                          str(HERE / "wrk_log_metric.lua"), url],
                         env={**os.environ, "RUN_ID": run, "PREFIX": ""}, capture_output=True,
                         text=True, timeout=seconds + 60, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError("no Requests/sec in wrk output:\n" + out)


def hold(url: str, n: int) -> tuple[list[socket.socket], int]:
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1])
    socks, ok = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            socks.append(s)
        except OSError:
            break
    for s in socks:  # read each answer: the connection is then idle keep-alive
        try:
            if s.recv(4096).startswith(b"HTTP/1.1 200"):
                ok += 1
        except OSError:
            pass
    return socks, ok


def measure(binary: str, extra: list[str], connections: int, seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as home:
        proc, url = start(binary, home, extra)
        try:
            rps = wrk_log_metric(url, seconds)
            time.sleep(1)
            idle = rss_kb(proc.pid)
            socks, ok = hold(url, connections)
            time.sleep(1)
            held = rss_kb(proc.pid)
            still = requests.get(url + "/health", timeout=10).status_code
            for s in socks:
                s.close()
            return {"bin": binary, "log_metric_rps_8conn": round(rps, 1), "idle_rss_kb": idle,
                    "connections_asked": connections, "connections_served": ok,
                    "rss_with_connections_kb": held,
                    "kb_per_connection": round((held - idle) / max(ok, 1), 2),
                    "health_while_held": still}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/mlws")
    ap.add_argument("--baseline-bin")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--baseline-connections", type=int, default=900,
                    help="the thread-per-connection server refused past 1,000")
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    new = measure(args.bin, ["--max-connections-per-address", str(args.connections + 100)],
                  args.connections, args.seconds)
    print(json.dumps(new))
    if args.baseline_bin:
        base = measure(args.baseline_bin, [], args.baseline_connections, args.seconds)
        print(json.dumps(base))
        print(json.dumps({"ratio_log_metric_rps": round(new["log_metric_rps_8conn"] /
                                                        base["log_metric_rps_8conn"], 3),
                          "ratio_idle_rss": round(new["idle_rss_kb"] / base["idle_rss_kb"], 3),
                          "ratio_kb_per_connection": round(new["kb_per_connection"] /
                                                           max(base["kb_per_connection"], 0.01),
                                                           3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
