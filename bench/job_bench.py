#!/usr/bin/env python3
"""Job dispatch benchmark: how fast mlws starts trivial jobs (`command: true`) on a local compute,
as a ratio against a baseline measured in the same run on the same machine (plain fork/exec of
`true` from Python, the least any job launcher must do).

Measured:
  * dispatch throughput: N jobs are queued behind a 1-slot compute, then the compute is resized
    to N slots; jobs/s = N / (last job's start - resize). Baseline: N sequential
    subprocess.Popen(["true"]) calls (without waiting), per second.
  * submit-to-start latency: jobs submitted one by one over HTTP (keep-alive) with a short pause;
    the server's created_at -> started_at (ms). Baseline: Popen(["true"]) call time.

Targets (issue 4): >= 500 jobs/s dispatched, p50 submit-to-start <= 20 ms.

Usage: .venv/bin/python bench/job_bench.py [--mlws-bin build/release/mlws] [--jobs 1000]
       [--latency-jobs 200] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from mlws_testkit.net import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[job-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def baseline(n: int) -> dict:
    procs = []
    t0 = time.perf_counter()
    for _ in range(n):
        procs.append(subprocess.Popen(["true"]))
    spawn_s = time.perf_counter() - t0
    for p in procs:
        p.wait()
    lat = []
    for _ in range(min(n, 300)):
        t = time.perf_counter()
        p = subprocess.Popen(["true"])
        lat.append((time.perf_counter() - t) * 1000)
        p.wait()
    return {"rate": n / spawn_s, "p50_ms": statistics.median(lat)}


def wait_all(s: requests.Session, url: str, names: list[str], timeout: float = 300) -> list:
    deadline = time.monotonic() + timeout
    while True:
        jobs = s.get(f"{url}/api/v1/workspaces/default/jobs", timeout=120).json()["value"]
        by = {j["name"]: j for j in jobs}
        done = [by[n] for n in names if n in by and by[n]["status"] not in ("Queued", "Running")]
        if len(done) == len(names):
            return done
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)}/{len(names)} jobs ended")
        time.sleep(0.2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--latency-jobs", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json-out")
    a = ap.parse_args()

    base = baseline(a.jobs)
    log(f"baseline fork/exec of true: {base['rate']:.0f}/s, p50 {base['p50_ms']:.2f} ms")

    home = tempfile.mkdtemp(prefix="mlws-job-bench-")
    port = free_port()
    srv = subprocess.Popen([a.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                            "--home", home, "--log-level", "warn"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        s = requests.Session()
        jobs_url = f"{url}/api/v1/workspaces/default/jobs"
        comp_url = f"{url}/api/v1/workspaces/default/computes"

        # 1. latency: one job at a time on an idle pool
        s.post(comp_url, json={"name": "lat", "max_instances": 4}, timeout=30).raise_for_status()
        names = []
        for i in range(a.latency_jobs):
            r = s.post(jobs_url, json={"command": "true", "compute": "lat"}, timeout=30)
            r.raise_for_status()
            names.append(r.json()["name"])
            time.sleep(0.01)
        done = wait_all(s, url, names)
        lat = sorted(j["started_at"] - j["created_at"] for j in done)
        p50 = statistics.median(lat)
        p99 = lat[int(len(lat) * 0.99) - 1]
        failed = sum(j["status"] != "Completed" for j in done)
        log(f"submit-to-start: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({failed} not Completed)")

        # 2. dispatch throughput: queue N jobs behind a busy 1-slot pool, then open it up
        s.post(comp_url, json={"name": "burst", "max_instances": 1}, timeout=30).raise_for_status()
        blocker = s.post(jobs_url, json={"command": "sleep 600", "compute": "burst"},
                         timeout=30).json()["name"]
        def submit(_):
            ss = requests.Session()
            out = []
            for _ in range(a.jobs // a.clients):
                r = ss.post(jobs_url, json={"command": "true", "compute": "burst"}, timeout=60)
                r.raise_for_status()
                out.append(r.json()["name"])
            return out
        t0 = time.perf_counter()
        with ThreadPoolExecutor(a.clients) as ex:
            names = [n for chunk in ex.map(submit, range(a.clients)) for n in chunk]
        submit_rate = len(names) / (time.perf_counter() - t0)
        log(f"queued {len(names)} jobs ({submit_rate:.0f} submissions/s over HTTP)")
        opened = int(time.time() * 1000)
        s.post(comp_url, json={"name": "burst", "max_instances": len(names) + 1},
               timeout=30).raise_for_status()
        done = wait_all(s, url, names)
        s.post(f"{jobs_url}/{blocker}/cancel", timeout=30)
        first = min(j["started_at"] for j in done)
        last = max(j["started_at"] for j in done)
        span_ms = max(1, last - min(opened, first))
        rate = len(done) / (span_ms / 1000)
        failed = sum(j["status"] != "Completed" for j in done)
        log(f"dispatch: {len(done)} jobs started in {span_ms} ms = {rate:.0f} jobs/s "
            f"({failed} not Completed)")
    finally:
        try:
            os.killpg(srv.pid, signal.SIGTERM)
            srv.wait(timeout=20)
        except Exception:  # noqa: BLE001
            srv.kill()

    result = {
        "machine": {"cpus": os.cpu_count()},
        "baseline_fork_exec_per_s": round(base["rate"]),
        "baseline_p50_ms": round(base["p50_ms"], 3),
        "dispatch_jobs_per_s": round(rate),
        "dispatch_ratio_vs_baseline": round(rate / base["rate"], 3),
        "submit_to_start_p50_ms": p50,
        "submit_to_start_p99_ms": p99,
        "submit_to_start_ratio_vs_baseline": round(p50 / base["p50_ms"], 1),
        "http_submissions_per_s": round(submit_rate),
        "targets_met": rate >= 500 and p50 <= 20,
    }
    print("| measure | mlws | baseline (fork/exec `true` from Python) | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| dispatch throughput | {rate:.0f} jobs/s | {base['rate']:.0f} spawns/s | "
          f"{rate / base['rate']:.2f} | >= 500 jobs/s |")
    print(f"| submit-to-start p50 | {p50:.1f} ms (p99 {p99:.1f}) | {base['p50_ms']:.2f} ms | "
          f"{p50 / base['p50_ms']:.1f}x | <= 20 ms |")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(result, indent=2))
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
