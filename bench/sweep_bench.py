#!/usr/bin/env python3
"""Sweep controller benchmark: a random sweep of N `true` trials against the same N `true` jobs
submitted directly, on the same server and machine. The difference per trial is what the sweep
controller costs beyond job dispatch (sampling, submitting, reading the objective, recording).

Measured (wall time from the first submission to the last job's end):
  * baseline: N command jobs `true`, submitted over HTTP by 8 clients;
  * sweep: one sweep job, max_total_trials = max_concurrent_trials = N, trials `true`.

Targets (issue 15): a 1,000-trial random sweep of `true` completes in <= 10 s on the local
compute; <= 5 ms per trial beyond job dispatch.

Usage: .venv/bin/python bench/sweep_bench.py [--mlws-bin build/release/mlws] [--trials 1000]
       [--slots 8] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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
    print(f"[sweep-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def wait_ended(s: requests.Session, url: str, name: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = s.get(f"{url}/api/v1/workspaces/default/jobs/{name}", timeout=60).json()
        if job["status"] not in ("Queued", "Running"):
            return job
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} still {job['status']} after {timeout} s")
        time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="mlws-sweep-bench-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLWS_LOCAL_SLOTS": str(args.slots)}
    proc = subprocess.Popen([args.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--home", home, "--log-level", "warn"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        s = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                if s.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        n = args.trials
        jobs_url = f"{url}/api/v1/workspaces/default/jobs"

        log(f"baseline: {n} jobs `true`")
        t0 = time.perf_counter()

        def submit(i: int) -> str:
            r = requests.post(jobs_url, json={"name": f"plain_{i}", "command": "true"},
                              timeout=60)
            r.raise_for_status()
            return r.json()["name"]

        with ThreadPoolExecutor(8) as pool:
            names = list(pool.map(submit, range(n)))
        for name in names:
            wait_ended(s, url, name, 600)
        base_s = time.perf_counter() - t0

        log(f"sweep: {n} trials `true`")
        t0 = time.perf_counter()
        r = s.post(jobs_url, json={
            "type": "sweep", "name": "bench_sweep",
            "trial": {"command": "true # ${{search_space.x}}"},
            "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
            "sampling_algorithm": {"type": "random", "seed": 1},
            "objective": {"goal": "minimize", "primary_metric": "loss"},
            "limits": {"max_total_trials": n, "max_concurrent_trials": n}}, timeout=60)
        r.raise_for_status()
        done = wait_ended(s, url, "bench_sweep", 600)
        sweep_s = time.perf_counter() - t0
        assert len(done["trials"]) == n, len(done["trials"])
        result = {"trials": n, "slots": args.slots, "baseline_s": round(base_s, 3),
                  "sweep_s": round(sweep_s, 3), "ratio": round(sweep_s / base_s, 3),
                  "controller_ms_per_trial": round((sweep_s - base_s) * 1000 / n, 3),
                  "target_sweep_s": 10, "target_ms_per_trial": 5}
        print(json.dumps(result))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=2))
        return 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
