#!/usr/bin/env python3
"""Online traffic split: a 90/10 split over 10,000 scoring requests (8 client threads) must land
within 1 percentage point of 90/10. Two deployments of a standard-library score.py answer who
they are; the counts come from the answers and from mlws_online_requests_total.

    .venv/bin/python bench/serving_split_bench.py --bin build/release/mlws [--requests 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from mlws_testkit.net import free_port  # noqa: E402

SCORE = '''
import os
def init():
    global who
    who = os.environ["WHO"]
def run(raw):
    return who
'''


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlws-split-bench-") as d:
        tmp = Path(d)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([a.bin, "server", "--host", "127.0.0.1", "--port", str(port),
                                 "--home", str(tmp / "home")], stdout=subprocess.DEVNULL,
                                stderr=open(tmp / "mlws.log", "wb"))
        ep = f"{url}/api/v1/workspaces/default/online-endpoints/split-ep"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
            cli = [a.bin, "--url", url]
            (tmp / "ep.yml").write_text("name: split-ep\nauth_mode: key\n")
            subprocess.run(cli + ["online-endpoint", "create", "-f", str(tmp / "ep.yml")],
                           check=True, stdout=subprocess.DEVNULL)
            for name in ("blue", "green"):
                (tmp / name / "code").mkdir(parents=True)
                (tmp / name / "model").mkdir()
                (tmp / name / "model" / "m.txt").write_text(name)
                (tmp / name / "code" / "score.py").write_text(SCORE)
                (tmp / name / "dep.yml").write_text(
                    f"name: {name}\nendpoint_name: split-ep\nmodel:\n  path: model\n"
                    "code_configuration:\n  code: code\n  scoring_script: score.py\n"
                    f"environment_variables:\n  WHO: {name}\n"
                    "request_settings:\n  max_concurrent_requests_per_instance: 8\n")
                subprocess.run(cli + ["online-deployment", "create", "-f",
                                      str(tmp / name / "dep.yml")], check=True,
                               stdout=subprocess.DEVNULL)
            subprocess.run(cli + ["online-endpoint", "update", "-n", "split-ep", "--traffic",
                                  "blue=90 green=10"], check=True, stdout=subprocess.DEVNULL)
            key = requests.post(f"{ep}/list-keys", json={}, timeout=10).json()["primaryKey"]
            counts = {"blue": 0, "green": 0, "failed": 0}
            lock = threading.Lock()
            per_thread = a.requests // a.threads

            def client():
                s = requests.Session()
                mine = {"blue": 0, "green": 0, "failed": 0}
                for _ in range(per_thread):
                    r = s.post(f"{ep}/score", data="{}", timeout=30,
                               headers={"Authorization": f"Bearer {key}"})
                    mine[r.json() if r.status_code == 200 else "failed"] += 1
                with lock:
                    for k, v in mine.items():
                        counts[k] += v

            t0 = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(a.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - t0
            total = counts["blue"] + counts["green"] + counts["failed"]
            green_pct = 100.0 * counts["green"] / total
            print(json.dumps({"requests": total, **counts, "green_percent": round(green_pct, 3),
                              "off_by_points": round(abs(green_pct - 10.0), 3),
                              "within_1_point": abs(green_pct - 10.0) <= 1.0
                              and counts["failed"] == 0,
                              "rps": round(total / seconds, 1)}))
            requests.delete(ep, timeout=30)
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
