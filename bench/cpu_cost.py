#!/usr/bin/env python3
"""CPU cost per request of the issue-12 tracking rows: robust on a shared, busy machine.

Wall-clock throughput moves with whatever else runs on the box; the work the server does for
one request does not. For each row this runs wrk (bench/wrk_mlflow.lua, the rows of
wrk_rows.py) under `perf stat -p <server pid>` and divides the server's user-space instructions
and its CPU time (task-clock: user + kernel, all threads) by the requests answered. The wrk
figures and the load average are printed beside them, and every row also runs against
FastTrackML in the same run when it is installed (--targets).

Usage:
  .venv/bin/python bench/cpu_cost.py [--targets mlws,fml] [--seconds 5] [--rows create_run,...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench  # noqa: E402
import wrk_rows  # noqa: E402

ROWS = ("create_run", "search_1k", "log_batch_1000x1", "log_batch_100x10", "log_metric")


def perf_wrk(pid: int, url: str, prefix: str, row: str, env: dict, seconds: float,
             connections: int) -> dict:
    """One wrk row with the server's instructions:u and task-clock counted meanwhile."""
    out = Path(tempfile.mkstemp(prefix="perf-", suffix=".csv")[1])
    perf = subprocess.Popen(["perf", "stat", "-x,", "-o", str(out), "-e",
                             "instructions:u,task-clock", "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)  # perf attaches before the first request
    res = wrk_rows.run_wrk(url, prefix, row, env, seconds, connections, lambda _m: None)
    perf.send_signal(2)
    perf.wait(timeout=30)
    counts = {}
    for line in out.read_text().splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0] and not line.startswith("#"):
            try:
                counts[parts[2].split(":")[0]] = float(parts[0])
            except ValueError:
                pass
    out.unlink()
    n = max(1, res.get("requests", 0))
    res["instructions_per_req"] = counts.get("instructions", 0) / n
    res["cpu_us_per_req"] = counts.get("task-clock", 0) * 1000 / n  # task-clock is in ms
    return res


class CallgrindServer(run_bench.Server):
    """mlws under `valgrind --tool=callgrind`: instructions counted exactly, kernel excluded."""

    def command(self):
        cmd, env = super().command()
        return ["valgrind", "--tool=callgrind", "--trace-children=no",
                f"--callgrind-out-file={self.dir}/cg.out", *cmd], env


def callgrind_wrk(srv, url: str, prefix: str, row: str, env: dict, seconds: float,
                  connections: int) -> dict:
    """One wrk row between a zeroing and a dump of the server's callgrind counters."""
    pid = str(srv.proc.pid)
    subprocess.run(["callgrind_control", "-z", pid], capture_output=True, timeout=60)
    res = wrk_rows.run_wrk(url, prefix, row, env, seconds, connections, lambda _m: None)
    before = set(srv.dir.glob("cg.out*"))
    subprocess.run(["callgrind_control", "-d", pid], capture_output=True, timeout=120)
    dumps = sorted(set(srv.dir.glob("cg.out*")) - before, key=lambda p: p.stat().st_mtime)
    total = 0
    for line in dumps[-1].read_text(errors="replace").splitlines() if dumps else []:
        if line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
    res["instructions_per_req"] = total / max(1, res.get("requests", 0))
    res["cpu_us_per_req"] = 0.0
    return res


def row_env(url: str, row: str) -> tuple[str, dict, int]:
    """(wrk row, its environment, connections) with the data the row needs created first."""
    if row == "create_run":
        eid, _ = wrk_rows.new_runs(url, 0, "create")
        return "create_run", {"EXP_ID": eid}, 8
    if row == "log_metric":
        _, runs = wrk_rows.new_runs(url, 2, "metric")
        return "log_metric", {"RUN_IDS": ",".join(runs)}, 8
    if row.startswith("log_batch_"):
        keys, steps = (int(x) for x in row[len("log_batch_"):].split("x"))
        _, runs = wrk_rows.new_runs(url, 2, "batch")
        return "log_batch", {"RUN_IDS": ",".join(runs), "KEYS": keys, "STEPS": steps}, 8
    if row == "search_1k":
        return "search", {"EXP_ID": populate(url, 1000), "FILTER": wrk_rows.SEARCH_FILTER,
                          "ORDER_BY": wrk_rows.SEARCH_ORDER, "MAX_RESULTS": 100}, 1
    raise ValueError(row)


def populate(url: str, runs: int) -> str:
    lg = run_bench.find_loadgen(None)
    p = subprocess.run([str(lg), "populate", "--url", url, "--runs", str(runs), "--clients", "4"],
                       capture_output=True, text=True, timeout=600)
    import json
    return json.loads(p.stdout.strip().splitlines()[-1])["experiment_id"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="mlws,fml")
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--callgrind", action="store_true",
                    help="count mlws's instructions under callgrind (slow; no perf counters)")
    ap.add_argument("--mlws-bin", default=str(run_bench.ROOT / "build/release/mlws"))
    args = ap.parse_args()
    ns = argparse.Namespace(mlws_bin=args.mlws_bin, mlws_prefix="", venv=str(run_bench.ROOT / ".venv"),
                            start_timeout=60, mlflow_venv="", mlflow_workers=2)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="mlws-cpu-") as tmp:
        for target in args.targets.split(","):
            if target == "fml" and not (run_bench.ROOT / ".venv/bin/fml").exists():
                continue
            cg = args.callgrind and target == "mlws"
            if args.callgrind and not cg:
                continue
            with (CallgrindServer if cg else run_bench.Server)(target, ns, Path(tmp)) as srv:
                time.sleep(1.0)
                rss = srv.memory().get("rss_kb", 0) / 1024
                results.setdefault("idle_rss_mib", {})[target] = rss
                for row in args.rows.split(","):
                    wrow, env, conns = row_env(srv.url, row)
                    if cg:
                        res = callgrind_wrk(srv, srv.url, srv.prefix, wrow, env, args.seconds,
                                            min(conns, 2))
                    else:
                        res = perf_wrk(srv.proc.pid, srv.url, srv.prefix, wrow, env, args.seconds,
                                       conns)
                    res["load"] = os.getloadavg()[0]
                    results.setdefault(row, {})[target] = res
    print("| row | target | instructions/req (user) | CPU µs/req | wrk ok/s | p50 ms | load |")
    print("|---|---|---|---|---|---|---|")
    for row, by in results.items():
        if row == "idle_rss_mib":
            continue
        for target, r in by.items():
            print(f"| {row} | {target} | {r['instructions_per_req']:,.0f} | "
                  f"{r['cpu_us_per_req']:,.1f} | {r.get('ok_per_s', 0):,.0f} | "
                  f"{r.get('p50_ms', 0):.2f} | {r['load']:.1f} |")
    for target, v in results.get("idle_rss_mib", {}).items():
        print(f"idle RSS {target}: {v:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
