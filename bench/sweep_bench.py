#!/usr/bin/env python3
"""Sweep controller benchmark: a random sweep of N `true` trials against the same N `true` jobs
submitted directly, on the same server and machine. The difference per trial is what the sweep
controller costs beyond job dispatch (sampling, submitting, reading the objective, recording).

Measured (wall time from the first submission to the last job's end):
  * baseline: N command jobs `true`, submitted over HTTP by 8 clients;
  * sweep: one sweep job, max_total_trials = max_concurrent_trials = N, trials `true`.

Also measured on the same server:
  * early termination: a bandit sweep of `sleep` trials; the bench logs a good value to one
    trial's run and then a bad one to each other trial; the decision latency is from sending that
    log-batch to the trial's cancel being recorded (the log call returns after it), and to the
    trial's end (Canceled);
  * schedules: recurrence schedules starting a few seconds ahead; the firing delay is the created
    job's created_at minus its fire time (tag mlws.schedule.fire_time).

Targets (issue 15): a 1,000-trial random sweep of `true` completes in <= 10 s on the local
compute; <= 5 ms per trial beyond job dispatch; an early-termination decision is applied within
100 ms of the metric; schedules fire within 1 s of their time.

Usage: .venv/bin/python bench/sweep_bench.py [--mlws-bin build/release/mlws] [--trials 1000]
       [--slots 8] [--stops 10] [--schedules 3] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
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


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def early_termination_latency(s: requests.Session, url: str, stops: int) -> dict:
    """Bandit (slack_amount 0.1): trial 0 gets loss 0.1, then each other trial loss 10."""
    jobs_url = f"{url}/api/v1/workspaces/default/jobs"
    n = stops + 1
    r = s.post(jobs_url, json={
        "type": "sweep", "name": "bench_et",
        "trial": {"command": "sleep 600 # ${{search_space.x}}"},
        "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "early_termination": {"type": "bandit", "slack_amount": 0.1},
        "limits": {"max_total_trials": n, "max_concurrent_trials": n}}, timeout=60)
    r.raise_for_status()
    deadline = time.monotonic() + 300
    while True:
        trials = s.get(f"{jobs_url}/bench_et", timeout=60).json()["trials"]
        running = [t for t in trials
                   if s.get(f"{jobs_url}/{t['job']}", timeout=60).json()["status"] == "Running"]
        if len(running) == n:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("bench_et trials did not all start")
        time.sleep(0.1)
    trials.sort(key=lambda t: t["index"])
    log_url = f"{url}/api/2.0/mlflow/runs/log-batch"

    def log_loss(run_id: str, v: float) -> None:
        s.post(log_url, json={"run_id": run_id, "metrics": [
            {"key": "loss", "value": v, "timestamp": int(time.time() * 1000), "step": 0}]},
            timeout=60).raise_for_status()

    log_loss(trials[0]["run_id"], 0.1)
    decided, ended = [], []
    for t in trials[1:]:
        t0 = time.perf_counter()
        log_loss(t["run_id"], 10.0)
        while not s.get(f"{jobs_url}/{t['job']}", timeout=60).json()["cancel_requested"]:
            pass
        decided.append((time.perf_counter() - t0) * 1000)
        wait_ended(s, url, t["job"], 60)
        ended.append((time.perf_counter() - t0) * 1000)
    s.post(f"{jobs_url}/bench_et/cancel", timeout=60)
    return {"stops": stops, "decision_ms_median": round(statistics.median(decided), 2),
            "decision_ms_max": round(max(decided), 2),
            "canceled_ms_median": round(statistics.median(ended), 2),
            "canceled_ms_p95": round(percentile(ended, 95), 2), "target_decision_ms": 100}


def schedule_delay(s: requests.Session, url: str, count: int) -> dict:
    """Recurrence schedules whose first fire time is 2-4 s ahead; delay = created_at - fire."""
    base = f"{url}/api/v1/workspaces/default/schedules"
    now = time.time()
    names = []
    for i in range(count):
        start = datetime.datetime.fromtimestamp(int(now) + 3 + i, datetime.timezone.utc)
        name = f"bench_sched_{i}"
        r = s.post(base, json={
            "name": name,
            "trigger": {"type": "recurrence", "frequency": "hour", "interval": 1,
                        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "create_job": {"type": "command", "command": "true"}}, timeout=60)
        r.raise_for_status()
        names.append(name)
    delays = []
    jobs_url = f"{url}/api/v1/workspaces/default/jobs"
    deadline = time.monotonic() + 60
    while len(delays) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("schedules did not fire")
        delays = []
        for j in s.get(jobs_url, timeout=60).json()["value"]:
            fire = j.get("tags", {}).get("mlws.schedule.fire_time")
            if j["name"].startswith("bench_sched_") and fire:
                fire_ms = datetime.datetime.fromisoformat(fire.replace("Z", "+00:00")).timestamp()
                delays.append(j["created_at"] - fire_ms * 1000)
        time.sleep(0.2)
    for name in names:
        s.delete(f"{base}/{name}", timeout=60)
    return {"schedules": count, "fire_delay_ms_median": round(statistics.median(delays), 1),
            "fire_delay_ms_max": round(max(delays), 1), "target_fire_delay_ms": 1000}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--stops", type=int, default=10, help="early-termination decisions timed")
    ap.add_argument("--schedules", type=int, default=3)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="mlws-sweep-bench-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLWS_LOCAL_SLOTS": str(max(args.slots, args.stops + 1))}
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
        result = {"trials": n, "slots": max(args.slots, args.stops + 1),
                  "baseline_s": round(base_s, 3),
                  "sweep_s": round(sweep_s, 3), "ratio": round(sweep_s / base_s, 3),
                  "controller_ms_per_trial": round((sweep_s - base_s) * 1000 / n, 3),
                  "target_sweep_s": 10, "target_ms_per_trial": 5}
        log(f"early termination: {args.stops} decisions")
        result["early_termination"] = early_termination_latency(s, url, args.stops)
        log(f"schedules: {args.schedules} fires")
        result["schedules"] = schedule_delay(s, url, args.schedules)
        print(json.dumps(result))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=2))
        return 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
