"""The issue's tracking rows measured with wrk (an independent load generator), for run_bench.py.

Every row runs `wrk -t2 -c<N> -d<S>s -s bench/wrk_mlflow.lua` against one live server with the
same request bodies for every server: throughput rows use 8 connections, latency rows (search,
get-history) one connection, so p50 is the server's time rather than a queue's. The data the
rows need (runs, a 1,000-run experiment) is created here over plain HTTP, before the timed part.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk_mlflow.lua"
ML = "/api/2.0/mlflow"
# log-batch shapes (keys x steps): 1000 points per request each
BATCH_SHAPES = [(10, 100), (100, 10), (1000, 1)]
SEARCH_FILTER = "metrics.acc > 0.5 and params.optimizer = 'adam'"
SEARCH_ORDER = "metrics.acc DESC"


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def post(url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(url + ML + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def new_runs(url: str, n: int, tag: str) -> tuple[str, list[str]]:
    exp = post(url, "/experiments/create", {"name": f"wrk-{tag}-{time.time_ns()}"})
    eid = exp["experiment_id"]
    runs = [post(url, "/runs/create", {"experiment_id": eid, "start_time": 1700000000000})
            ["run"]["info"]["run_id"] for _ in range(n)]
    return eid, runs


def run_wrk(url: str, prefix: str, row: str, env: dict, seconds: float, connections: int,
            log) -> dict:
    base = url[: len(url) - len(prefix)] if prefix and url.endswith(prefix) else url
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
            "60s", "-s", str(LUA), base]
    full_env = {"ROW": row, "PREFIX": prefix, "PATH": "/usr/bin:/bin"}
    full_env.update({k: str(v) for k, v in env.items()})
    log("  $ " + " ".join(f"{k}={v}" for k, v in env.items() if k != "RUN_IDS") + " "
        + " ".join(argv))
    try:
        p = subprocess.run(argv, env=full_env, capture_output=True, text=True,
                           timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish"}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            res = json.loads(line[len("BENCH_JSON "):])
            secs = res["duration_us"] / 1e6
            ok = res["requests"] - res["non_200"]
            res["ok_per_s"] = ok / secs if secs > 0 else 0.0
            res["p50_ms"] = res["p50_us"] / 1000
            res["p99_ms"] = res["p99_us"] / 1000
            res["errors"] = res["non_200"] + res["socket_errors"] + res["timeouts"]
            log(f"    -> {res['ok_per_s']:.1f}/s ok, p50 {res['p50_ms']:.2f} ms, "
                f"errors {res['errors']}")
            return res
    return {"error": f"wrk exit {p.returncode}: {(p.stderr or p.stdout).strip()[-300:]}"}


def cell(res: dict, value: float | None, note: str = "") -> dict:
    if res.get("error") or value is None:
        return {"value": None, "text": "n/a (" + str(res.get("error", "no result"))[:60] + ")",
                "bound": False}
    text = f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    if res.get("errors"):
        text += f" ({res['errors']} errors)"
    if note:
        text += " " + note
    return {"value": value, "text": text, "bound": bool(note)}


def bench_wrk(url: str, prefix: str, seconds: float, populate, history_run: dict | None,
              log) -> tuple[dict, dict]:
    """Runs every wrk row; `populate(runs)` builds a search experiment with the loadgen and
    returns its id (or None); `history_run` is {"run_id", "points"} from the history row.
    Returns (cells, raw)."""
    cells, raw = {}, {}
    _, runs = new_runs(url, 2, "batch")
    for keys, steps in BATCH_SHAPES:
        key = f"wrk_log_batch_{keys}x{steps}"
        res = run_wrk(url, prefix, "log_batch",
                      {"RUN_IDS": ",".join(runs), "KEYS": keys, "STEPS": steps}, seconds, 8, log)
        raw[key] = res
        cells[key] = cell(res, res.get("ok_per_s", 0) * keys * steps if "ok_per_s" in res
                          else None)
        _, runs = new_runs(url, 2, "batch")  # a fresh run per shape: same history length
    res = run_wrk(url, prefix, "log_metric", {"RUN_IDS": ",".join(runs)}, seconds, 8, log)
    raw["wrk_log_metric"] = res
    cells["wrk_log_metric"] = cell(res, res.get("ok_per_s"))
    eid, _ = new_runs(url, 0, "create")
    res = run_wrk(url, prefix, "create_run", {"EXP_ID": eid}, seconds, 8, log)
    raw["wrk_create_run"] = res
    cells["wrk_create_run"] = cell(res, res.get("ok_per_s"))
    exp_1k = populate(1000)
    if exp_1k:
        res = run_wrk(url, prefix, "search", {"EXP_ID": exp_1k, "FILTER": SEARCH_FILTER,
                                              "ORDER_BY": SEARCH_ORDER, "MAX_RESULTS": 100},
                      seconds, 1, log)
        raw["wrk_search_1k"] = res
        cells["wrk_search_1k"] = cell(res, res.get("p50_ms"))
    else:
        cells["wrk_search_1k"] = {"value": None, "text": "n/a (populate failed)", "bound": False}
    if history_run and history_run.get("run_id"):
        res = run_wrk(url, prefix, "history",
                      {"RUN_ID": history_run["run_id"], "KEY": history_run.get("key", "m")},
                      seconds, 1, log)
        raw["wrk_history"] = res
        pts = history_run.get("points", 0)
        note = "" if history_run.get("full") else f"(at {pts:,} points)"
        if not res.get("error") and not res.get("ok_per_s") and not res.get("p50_ms"):
            # One connection for the row's seconds finished no request (a peer slower than that).
            res = dict(res, error=f"no request finished in {seconds:g} s")
        cells["wrk_history"] = cell(res, res.get("p50_ms"), note)
    else:
        cells["wrk_history"] = {"value": None, "text": "n/a (no history run)", "bound": False}
    return cells, raw


def row_defs(seconds: float) -> list[tuple[str, str, bool]]:
    c = f"wrk 8 conn, {seconds:g}s"
    return [(f"wrk_log_batch_{k}x{s}", f"log-batch {k} keys x {s} steps (points/s, {c})", True)
            for k, s in BATCH_SHAPES] + [
        ("wrk_log_metric", f"log-metric (req/s, {c})", True),
        ("wrk_create_run", f"create-run (runs/s, {c})", True),
        ("wrk_search_1k", "search p50, 1k runs, metric + param filter, ordered, 100 results "
                          "(ms, wrk 1 conn)", False),
        ("wrk_history", "get-history p50, whole history (ms, wrk 1 conn)", False),
    ]
