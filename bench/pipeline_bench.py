#!/usr/bin/env python3
"""Pipeline benchmark (issue 14 targets), against a throwaway mlws server.

Measured:
  * handoff: a 3-step chain of `true` commands (force_rerun); per handoff, the time from one
    step's job ending (ended_at) to the next step's job starting (started_at). Target p50 <= 50 ms.
    Baseline in the same run: a single command job's created_at -> started_at (what the job
    service alone needs to start a job), so the ratio shows what the pipeline adds.
  * a fully reused 100-step chain: submit to Completed, after one run that filled the reuse
    records; median of 3. Target <= 1 s.
  * a fan-out/fan-in graph (1 root, N parallel `true` steps, 1 join) at N = 100, 300 and 1000:
    submit time (the POST) and completion time; per-step times (and their ratio to N = 100's)
    show whether both grow linearly (a ratio near 1 is linear, growing with N is not).

Usage: .venv/bin/python bench/pipeline_bench.py [--mlws-bin build/release/mlws] [--slots 8]
       [--sizes 100,300,1000] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from mlws_testkit.net import free_port  # noqa: E402


def wait_done(url: str, name: str, timeout: float = 3600, poll: float = 0.02) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(f"{url}/api/v1/workspaces/default/jobs/{name}", timeout=30).json()
        if job["status"] in ("Completed", "Failed", "Canceled"):
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(name)
        time.sleep(poll)


def submit(url: str, spec: dict) -> tuple[dict, float]:
    t0 = time.monotonic()
    r = requests.post(f"{url}/api/v1/workspaces/default/jobs", json=spec, timeout=600)
    r.raise_for_status()
    return r.json(), time.monotonic() - t0


def chain(n: int, force: bool) -> dict:
    jobs = {}
    for i in range(n):
        step = {"command": "true" if i == 0 else "true ${{inputs.i}}", "outputs": {"o": None}}
        if i > 0:
            step["inputs"] = {"i": f"${{{{parent.jobs.s{i - 1}.outputs.o}}}}"}
        jobs[f"s{i}"] = step
    return {"type": "pipeline", "settings": {"force_rerun": force}, "jobs": jobs}


def fan(n: int) -> dict:
    jobs = {"root": {"command": "true", "outputs": {"o": None}}}
    join_inputs = {}
    for i in range(n):
        jobs[f"f{i}"] = {"command": "true ${{inputs.i}}", "outputs": {"o": None},
                         "inputs": {"i": "${{parent.jobs.root.outputs.o}}"}}
        join_inputs[f"i{i}"] = f"${{{{parent.jobs.f{i}.outputs.o}}}}"
    jobs["join"] = {"command": "true", "inputs": join_inputs}
    return {"type": "pipeline", "settings": {"force_rerun": True}, "jobs": jobs}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default="build/release/mlws")
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mlws-pipebench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([args.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--home", str(home / "home")], stdout=subprocess.DEVNULL,
                            stderr=open(home / "server.log", "wb"),
                            env={"MLWS_LOCAL_SLOTS": str(args.slots), "PATH": "/usr/bin:/bin"})
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        out: dict = {}
        # Baseline: one command job's created -> started.
        base = []
        for _ in range(10):
            job, _ = submit(url, {"command": "true"})
            job = wait_done(url, job["name"])
            base.append(job["started_at"] - job["created_at"])
        out["baseline_job_start_ms_p50"] = statistics.median(base)
        handoffs = []
        for _ in range(10):
            p, _ = submit(url, chain(3, True))
            p = wait_done(url, p["name"])
            steps = [p["steps"][f"s{i}"] for i in range(3)]
            handoffs += [steps[i + 1]["started_at"] - steps[i]["ended_at"] for i in range(2)]
        out["handoff_ms_p50"] = statistics.median(handoffs)
        out["handoff_vs_baseline"] = out["handoff_ms_p50"] / max(1, out["baseline_job_start_ms_p50"])
        p, _ = submit(url, chain(100, False))
        wait_done(url, p["name"])
        reused, all_reused = [], True
        for _ in range(3):
            t0 = time.monotonic()
            p, _ = submit(url, chain(100, False))
            p = wait_done(url, p["name"])
            reused.append(time.monotonic() - t0)
            all_reused = all_reused and all(s["reused_from"] for s in p["steps"].values())
        out["reused_100_chain_s"] = statistics.median(reused)
        out["reused_100_chain_s_runs"] = reused
        out["reused_100_all_reused"] = all_reused
        for n in [int(x) for x in args.sizes.split(",")]:
            t0 = time.monotonic()
            p, post_s = submit(url, fan(n))
            # A big pipeline's GET is O(steps): poll it gently, so the poller is not the load.
            p = wait_done(url, p["name"], poll=max(0.02, n / 5000))
            total = time.monotonic() - t0
            out[f"fan_{n}"] = {"submit_s": post_s, "complete_s": total,
                               "submit_ms_per_step": post_s * 1000 / (n + 2),
                               "complete_ms_per_step": total * 1000 / (n + 2),
                               "status": p["status"]}
        sizes = [int(x) for x in args.sizes.split(",")]
        first = out[f"fan_{sizes[0]}"]
        for n in sizes:
            f = out[f"fan_{n}"]
            f["submit_per_step_vs_smallest"] = f["submit_ms_per_step"] / first["submit_ms_per_step"]
            f["complete_per_step_vs_smallest"] = (f["complete_ms_per_step"] /
                                                  first["complete_ms_per_step"])
        print(json.dumps(out, indent=2))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(out, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
