#!/usr/bin/env python3
"""Job dispatch with two servers on one PostgreSQL database vs one (docs/scale-out.md).

N trivial jobs (`command: true`) are submitted from 8 client threads, to one server, then (on a
fresh database) half to each of two servers. Reported per setup: dispatch rate (jobs / s from the
first job's creation to the last job's start, by the servers' own timestamps) and completion
rate (jobs / s until every job has ended); and the two-server / one-server ratios.

Usage: .venv/bin/python bench/multi_server_bench.py [--mlws-bin build/release/mlws] [--jobs 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import MlwsServer  # noqa: E402  (the e2e suite's server wrapper)
from mlws_testkit import pg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def start_server(home: Path, db: str, artifacts: Path) -> tuple[MlwsServer, str]:
    srv = MlwsServer(home, extra_args=["--backend-store-uri", db, "--artifacts-destination",
                                       f"file://{artifacts}", "--log-level", "warn"],
                     env={"MLWS_LOCAL_SLOTS": "8"}).start()
    return srv, srv.url


def run(servers: int, jobs: int, tmp: Path) -> dict:
    db = pg.cluster().new_database()
    artifacts = tmp / f"artifacts-{servers}"
    artifacts.mkdir()
    procs, urls = [], []
    for i in range(servers):
        home = tmp / f"home-{servers}-{i}"
        p, u = start_server(home, db, artifacts)
        procs.append(p)
        urls.append(u)
    try:
        sessions = [requests.Session() for _ in range(8)]

        def submit(i: int) -> str:
            url = urls[i % servers]
            r = sessions[i % 8].post(f"{url}/api/v1/workspaces/default/jobs",
                                     json={"command": "true"}, timeout=60)
            r.raise_for_status()
            return r.json()["name"]

        t0 = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            names = list(pool.map(submit, range(jobs)))
        pending = set(names)
        done = {}
        while pending:
            for name in list(pending):
                j = requests.get(f"{urls[0]}/api/v1/workspaces/default/jobs/{name}",
                                 timeout=10).json()
                if j["status"] in ("Completed", "Failed", "Canceled"):
                    done[name] = j
                    pending.discard(name)
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        created = min(j["created_at"] for j in done.values())
        started = max(j["started_at"] for j in done.values())
        ok = sum(1 for j in done.values() if j["status"] == "Completed")
        return {"servers": servers, "jobs": jobs, "completed": ok,
                "dispatch_per_s": jobs / max(0.001, (started - created) / 1000),
                "complete_per_s": jobs / elapsed}
    finally:
        for p in procs:
            p.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--jobs", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlws-multi-bench-") as d:
        tmp = Path(d)
        os.environ["MLWS_BIN"] = args.mlws_bin
        one = run(1, args.jobs, tmp)
        two = run(2, args.jobs, tmp)
    out = {"one": one, "two": two,
           "dispatch_ratio": two["dispatch_per_s"] / one["dispatch_per_s"],
           "complete_ratio": two["complete_per_s"] / one["complete_per_s"]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
