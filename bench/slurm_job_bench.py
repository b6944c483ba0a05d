#!/usr/bin/env python3
"""Slurm dispatch benchmark: how fast mlws hands trivial jobs (`command: true`) to a Slurm
cluster, as ratios against a baseline measured in the same run on the same cluster (plain
`sbatch --parsable` from Python, the least any Slurm client must do).

It starts a throwaway single-node Slurm 22.05 (python/mlws_testkit/slurm.py) and mlws with it.

Measured:
  * dispatch throughput: N jobs are queued behind a busy 1-slot Slurm compute, then the compute
    is resized to N slots; jobs/s = N / (time until every job was accepted by sbatch, i.e. shows
    a Slurm job id). mlws submits such a burst as `sbatch --array` (one call per 1,000 jobs of
    one placement). Baseline: N sequential `sbatch --parsable --wrap true` calls, per second.
    In both, the node is drained meanwhile (Slurm queues, runs nothing), so the numbers measure
    submission, not this machine also running the jobs; they run once the node resumes.
  * submit-to-RUNNING latency: jobs submitted one by one over HTTP; the server's created_at ->
    the moment the job's batch script started on the node (what mlws records as started_at for
    a Slurm job). Baseline: sbatch of a script that records its start -> that start.

Targets (issue 13): >= 100 jobs/s dispatched, p50 submit-to-RUNNING <= 2 s.

Usage: .venv/bin/python bench/slurm_job_bench.py [--mlws-bin build/release/mlws] [--jobs 500]
       [--latency-jobs 50] [--json-out FILE]
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
from mlws_testkit.slurm import NODE, SlurmCluster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[slurm-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def node(cluster: SlurmCluster, state: str) -> None:
    """Drains (state=drain) or resumes the node: while drained, sbatch only queues, so the
    dispatch phases measure submission, not this 2-core box also running a thousand jobs."""
    subprocess.run(["scontrol", "update", f"nodename={NODE}", f"state={state}", "reason=bench"],
                   env={**os.environ, **cluster.env()}, check=True, capture_output=True)


def baseline(cluster: SlurmCluster, n: int, latency_n: int, folder: Path) -> dict:
    env = {**os.environ, **cluster.env()}
    node(cluster, "drain")
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(["sbatch", "--parsable", "-o", "/dev/null", "--wrap", "true"], env=env,
                       check=True, capture_output=True)
    rate = n / (time.perf_counter() - t0)
    node(cluster, "resume")
    lat = []
    for i in range(latency_n):
        mark = folder / f"start-{i}"
        submitted = time.time() * 1000
        subprocess.run(["sbatch", "--parsable", "-o", "/dev/null", "--wrap",
                        f"date +%s%3N > {mark}"], env=env, check=True, capture_output=True)
        deadline = time.monotonic() + 60
        while not (mark.exists() and mark.read_text().strip()):
            if time.monotonic() > deadline:
                raise RuntimeError("a baseline job did not start within 60 s")
            time.sleep(0.01)
        lat.append(int(mark.read_text()) - submitted)
    return {"rate": rate, "p50_ms": statistics.median(lat)}


def wait_all(s: requests.Session, url: str, names: list[str], done_if, timeout: float = 600):
    deadline = time.monotonic() + timeout
    while True:
        jobs = s.get(f"{url}/api/v1/workspaces/default/jobs", timeout=120).json()["value"]
        by = {j["name"]: j for j in jobs}
        done = [by[n] for n in names if n in by and done_if(by[n])]
        if len(done) == len(names):
            return done
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)}/{len(names)} jobs got there")
        time.sleep(0.1)


def ended(j: dict) -> bool:
    return j["status"] not in ("Queued", "Running")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--jobs", type=int, default=500)
    ap.add_argument("--latency-jobs", type=int, default=50)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json-out")
    a = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlws-slurm-bench-"))
    cluster = SlurmCluster(work / "slurm").start()
    log(f"Slurm up in {cluster.started_after_s:.1f} s")
    srv = None
    try:
        base = baseline(cluster, a.jobs, a.latency_jobs, work)
        log(f"baseline sbatch: {base['rate']:.0f}/s, submit-to-start p50 {base['p50_ms']:.0f} ms")
        port = free_port()
        srv = subprocess.Popen([a.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                                "--home", str(work / "home"), "--log-level", "warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ, **cluster.env()})
        url = f"http://127.0.0.1:{port}"
        for _ in range(400):
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        s = requests.Session()
        jobs_url = f"{url}/api/v1/workspaces/default/jobs"
        comp_url = f"{url}/api/v1/workspaces/default/computes"

        # 1. latency: one job at a time on an idle compute
        s.post(comp_url, json={"name": "lat", "type": "slurm", "max_instances": 8},
               timeout=30).raise_for_status()
        names = []
        for _ in range(a.latency_jobs):
            r = s.post(jobs_url, json={"command": "true", "compute": "lat"}, timeout=30)
            r.raise_for_status()
            names.append(r.json()["name"])
            wait_all(s, url, names[-1:], ended, timeout=60)
        done = wait_all(s, url, names, ended)
        lat = sorted(j["started_at"] - j["created_at"] for j in done)
        p50 = statistics.median(lat)
        p90 = lat[int(len(lat) * 0.9) - 1]
        failed = sum(j["status"] != "Completed" for j in done)
        log(f"submit-to-RUNNING: p50 {p50:.0f} ms, p90 {p90:.0f} ms ({failed} not Completed)")

        # 2. dispatch throughput: queue N jobs behind a busy 1-slot compute, then open it up
        s.post(comp_url, json={"name": "burst", "type": "slurm", "max_instances": 1},
               timeout=30).raise_for_status()
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

        with ThreadPoolExecutor(a.clients) as ex:
            names = [n for chunk in ex.map(submit, range(a.clients)) for n in chunk]
        log(f"queued {len(names)} jobs")
        node(cluster, "drain")
        t0 = time.perf_counter()
        s.post(comp_url, json={"name": "burst", "type": "slurm",
                               "max_instances": len(names) + 1}, timeout=30).raise_for_status()
        wait_all(s, url, names, lambda j: "slurm" in j or ended(j))
        span = time.perf_counter() - t0
        rate = len(names) / span
        node(cluster, "resume")
        done = wait_all(s, url, names, ended)
        s.post(f"{jobs_url}/{blocker}/cancel", timeout=30)
        failed = sum(j["status"] != "Completed" for j in done)
        log(f"dispatch: {len(names)} jobs submitted to Slurm in {span:.2f} s = {rate:.0f} jobs/s "
            f"({failed} not Completed)")
    finally:
        if srv is not None:
            try:
                os.killpg(srv.pid, signal.SIGTERM)
                srv.wait(timeout=20)
            except Exception:  # noqa: BLE001
                srv.kill()
        cluster.stop()

    result = {
        "machine": {"cpus": os.cpu_count()},
        "baseline_sbatch_per_s": round(base["rate"]),
        "baseline_submit_to_start_p50_ms": round(base["p50_ms"]),
        "dispatch_jobs_per_s": round(rate),
        "dispatch_ratio_vs_baseline": round(rate / base["rate"], 3),
        "submit_to_running_p50_ms": p50,
        "submit_to_running_p90_ms": p90,
        "submit_to_running_ratio_vs_baseline": round(p50 / max(1, base["p50_ms"]), 2),
        "failed_jobs": failed,
        "targets_met": rate >= 100 and p50 <= 2000 and failed == 0,
    }
    print("| measure | mlws | baseline (sbatch from Python) | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| dispatch throughput | {rate:.0f} jobs/s | {base['rate']:.0f} sbatch/s | "
          f"{rate / base['rate']:.2f} | >= 100 jobs/s |")
    print(f"| submit-to-RUNNING p50 | {p50:.0f} ms (p90 {p90:.0f}) | {base['p50_ms']:.0f} ms | "
          f"{p50 / max(1, base['p50_ms']):.2f}x | <= 2 s |")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(result, indent=2))
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
