#!/usr/bin/env python3
"""Search latency of MLflow 3 logged models and v3 traces at N (default 10,000) per experiment.

Starts mlws on a temporary home, creates N v3 traces and N logged models in one experiment over
REST (8 clients), then times each search (median and max of --repeat runs, one client):
  * traces: the first page (100, newest first); a tag filter matching one trace; a
    timestamp range and order_by;
  * logged models: the first page (100); a name filter matching one model; a params filter.

Usage: .venv/bin/python bench/mlflow3_search_bench.py [--mlws-bin build/release/mlws] [--n 10000]
       [--repeat 5] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
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
ML = "/api/2.0/mlflow"
V3 = "/api/3.0/mlflow"


def _fill(url: str, exp: str, n: int) -> None:
    s = requests.Session()

    def trace(i: int) -> None:
        ms = 1_700_000_000_000 + i
        secs, frac = divmod(ms, 1000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:03d}Z"
        info = {"trace_id": f"tr-{i:032x}", "request_time": stamp, "execution_duration": "0.5s",
                "trace_location": {"type": "MLFLOW_EXPERIMENT",
                                   "mlflow_experiment": {"experiment_id": exp}},
                "state": "OK", "tags": {"k": f"v{i}", "mlflow.traceName": f"t{i % 10}"}}
        r = s.post(url + V3 + "/traces", json={"trace": {"trace_info": info}}, timeout=60)
        r.raise_for_status()

    def model(i: int) -> None:
        r = s.post(url + ML + "/logged-models", json={
            "experiment_id": exp, "name": f"m{i}",
            "params": [{"key": "alpha", "value": str(i % 100)}]}, timeout=60)
        r.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(trace, range(n)))
        list(pool.map(model, range(n)))


def _time(fn, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "max_ms": round(max(runs), 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="mlws-m3bench-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([args.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--home", home, "--log-level", "warn"])
    try:
        for _ in range(600):
            try:
                if requests.get(url + "/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("mlws exited")
            time.sleep(0.05)
        s = requests.Session()
        exp = s.post(url + ML + "/experiments/create", json={"name": "bench"}).json()[
            "experiment_id"]
        t0 = time.perf_counter()
        _fill(url, exp, args.n)
        fill_s = time.perf_counter() - t0
        loc = [{"mlflow_experiment": {"experiment_id": exp}}]

        def search_traces(**body):
            r = s.post(url + V3 + "/traces/search", json={"locations": loc, **body}, timeout=120)
            r.raise_for_status()
            return r.json()

        def search_models(**body):
            r = s.post(url + ML + "/logged-models/search",
                       json={"experiment_ids": [exp], **body}, timeout=120)
            r.raise_for_status()
            return r.json()

        assert len(search_traces(filter="tag.k = 'v7'")["traces"]) == 1
        assert len(search_models(filter="name = 'm7'")["models"]) == 1
        out = {
            "n": args.n, "fill_s": round(fill_s, 1),
            "traces_first_page": _time(lambda: search_traces(max_results=100), args.repeat),
            "traces_tag_filter": _time(lambda: search_traces(filter="tag.k = 'v7'"), args.repeat),
            "traces_time_range_order": _time(lambda: search_traces(
                filter="trace.timestamp_ms > 1700000005000", order_by=["timestamp_ms ASC"]),
                args.repeat),
            "models_first_page": _time(lambda: search_models(max_results=100), args.repeat),
            "models_name_filter": _time(lambda: search_models(filter="name = 'm7'"), args.repeat),
            "models_param_filter": _time(lambda: search_models(filter="params.alpha = '7'"),
                                         args.repeat),
        }
        print(json.dumps(out, indent=1))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(out, indent=1))
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
