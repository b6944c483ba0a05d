#!/usr/bin/env python3
"""CPU cost per request of the issue-12 tracking rows: robust on a shared, busy machine.

Wall-clock throughput moves with whatever else runs on the box; the work the server does for
one request does not. Two modes:
- default: every row runs wrk (bench/wrk_mlflow.lua, the rows of wrk_rows.py) against mlws and
  FastTrackML (same run) under `perf stat -p <server pid>`: the server's CPU time (task-clock:
  user + kernel, all threads) per answered request, wrk's own CPU time per request (the load
  generator's share of the box), the wrk figures and the load average.
  (instructions:u too where the machine has hardware counters; this VM has none.)
- --callgrind: mlws under valgrind's callgrind; a fixed number of requests per row on one
  keep-alive connection (after 3 warm-up requests) between zeroing and dumping its counters:
  exact user-space instructions per request (kernel time not included).

Usage:
  .venv/bin/python bench/cpu_cost.py [--targets mlws,fml] [--seconds 5] [--rows create_run,...]
  .venv/bin/python bench/cpu_cost.py --callgrind [--mlws-bin path]   # e.g. an older build
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = wrk_rows.run_wrk(url, prefix, row, env, seconds, connections, lambda _m: None)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
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
    # The load generator's share (wrk's user + system time): what a 2-core box has left for
    # the server is the machine's CPU minus this.
    res["wrk_cpu_us_per_req"] = wrk_cpu_s * 1e6 / n
    return res


class CallgrindServer(run_bench.Server):
    """mlws under `valgrind --tool=callgrind`: instructions counted exactly, kernel excluded."""

    def command(self):
        cmd, env = super().command()
        return ["valgrind", "--tool=callgrind", "--trace-children=no",
                f"--callgrind-out-file={self.dir}/cg.out", *cmd], env


# Requests per row under callgrind: a fixed count, so the figure does not depend on how many
# requests a busy machine lets through in a time window.
CALLGRIND_COUNT = {"create_run": 200, "log_metric": 200, "search": 10, "log_batch": 8}


def row_requests(prefix: str, row: str, env: dict):
    """Yields (method, path, body) as bench/wrk_mlflow.lua builds them for `row`."""
    api = prefix + wrk_rows.ML
    step = 0
    run_id = str(env.get("RUN_IDS", "")).split(",")[0]
    while True:
        if row == "create_run":
            yield "POST", api + "/runs/create", json.dumps(
                {"experiment_id": env["EXP_ID"], "start_time": 1700000000000})
        elif row == "log_metric":
            step += 1
            yield "POST", api + "/runs/log-metric", json.dumps(
                {"run_id": run_id, "key": "loss", "value": step % 1000 + 0.5,
                 "timestamp": 1700000000000 + step, "step": step})
        elif row == "search":
            yield "POST", api + "/runs/search", json.dumps(
                {"experiment_ids": [env["EXP_ID"]], "filter": env["FILTER"],
                 "order_by": [env["ORDER_BY"]], "max_results": env["MAX_RESULTS"]})
        elif row == "log_batch":
            keys, steps = int(env["KEYS"]), int(env["STEPS"])
            ms = [{"key": f"m{k}", "value": (s * 7 + k) % 1000 + 0.25,
                   "timestamp": 1700000000000 + step + s, "step": step + s}
                  for k in range(1, keys + 1) for s in range(1, steps + 1)]
            step += steps
            yield "POST", api + "/runs/log-batch", json.dumps({"run_id": run_id, "metrics": ms})


def callgrind_rows(srv, row: str, env: dict) -> dict:
    """A fixed number of requests on one keep-alive connection between a zeroing and a dump of
    the server's callgrind counters (a few warm-up requests first)."""
    pid = str(srv.proc.pid)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
    gen = row_requests(srv.prefix, row, env)
    n = CALLGRIND_COUNT[row]

    def send(k: int) -> int:
        bad = 0
        for _ in range(k):
            method, path, body = next(gen)
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            bad += r.status != 200
        return bad

    send(3)
    subprocess.run(["callgrind_control", "-z", pid], capture_output=True, timeout=60)
    t0 = time.monotonic()
    bad = send(n)
    secs = time.monotonic() - t0
    before = set(srv.dir.glob("cg.out*"))
    subprocess.run(["callgrind_control", "-d", pid], capture_output=True, timeout=120)
    dumps = sorted(set(srv.dir.glob("cg.out*")) - before, key=lambda p: p.stat().st_mtime)
    total = 0
    for line in dumps[-1].read_text(errors="replace").splitlines() if dumps else []:
        if line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
    conn.close()
    return {"requests": n, "non_200": bad, "instructions_per_req": total / n,
            "cpu_us_per_req": 0.0, "ok_per_s": (n - bad) / secs, "p50_ms": 0.0}


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
                        res = callgrind_rows(srv, wrow, env)
                    else:
                        res = perf_wrk(srv.proc.pid, srv.url, srv.prefix, wrow, env, args.seconds,
                                       conns)
                    res["load"] = os.getloadavg()[0]
                    results.setdefault(row, {})[target] = res
    print("| row | target | instructions/req (user) | CPU µs/req | + wrk µs/req | wrk ok/s | p50 ms "
          "| load |")
    print("|---|---|---|---|---|---|---|---|")
    for row, by in results.items():
        if row == "idle_rss_mib":
            continue
        for target, r in by.items():
            print(f"| {row} | {target} | {r['instructions_per_req']:,.0f} | "
                  f"{r['cpu_us_per_req']:,.1f} | {r.get('wrk_cpu_us_per_req', 0):,.1f} | "
                  f"{r.get('ok_per_s', 0):,.0f} | "
                  f"{r.get('p50_ms', 0):.2f} | {r['load']:.1f} |")
    for target, v in results.get("idle_rss_mib", {}).items():
        print(f"idle RSS {target}: {v:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
