#!/usr/bin/env python3
"""Online scoring: the same small scikit-learn model served by mlws (online endpoint, score.py)
and by `mlflow models serve` (1 and 2 workers), wrk with 8 connections. Prints one JSON line per
target and the ratios, plus the front door's p50 overhead over calling run() in-process (one
connection, one request at a time: measured with wrk -c1, a C client, and with Python's
http.client, whose own cost is then counted too), plus a blue -> green switch under load (green
created, all traffic moved to it, blue deleted, while wrk runs): its failed requests must be 0.

    .venv/bin/python bench/serving_bench.py --bin build/release/mlws [--seconds 10]

The mlws server runs with .venv/bin first on PATH, so its instances (no `environment` in the
spec) use the interpreter that has scikit-learn; mlflow runs with --env-manager local.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
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

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
ROW = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

SCORE = '''
import json, os, pickle
def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.pkl"), "rb") as f:
        model = pickle.load(f)
def run(raw):
    return model.predict(json.loads(raw)["data"]).tolist()
'''


def train(model_dir: Path) -> None:
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 10))
    model = LinearRegression().fit(x, x @ np.arange(10) + 1)
    mlflow.sklearn.save_model(model, str(model_dir))


def wrk(url: str, seconds: int, body: str, auth: str = "", connections: int = 8) -> dict:
    threads = min(2, connections)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s",
                          str(HERE / "wrk_score.lua"), url], capture_output=True, text=True,
                         env={**os.environ, "BODY": body, "AUTH": auth}, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(int(g) for g in sock.groups()) if sock else 0}


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def bench_mlws(binary: str, tmp: Path, model_dir: Path, seconds: int) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    proc = subprocess.Popen([binary, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--home", str(tmp / "mlws-home")], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "mlws.log", "wb"))
    try:
        wait_http(f"{url}/health")
        (tmp / "code").mkdir()
        (tmp / "code" / "score.py").write_text(SCORE)
        (tmp / "ep.yml").write_text("name: bench-ep\nauth_mode: key\n")
        (tmp / "dep.yml").write_text(
            f"name: blue\nendpoint_name: bench-ep\nmodel:\n  path: {model_dir}\n"
            "code_configuration:\n  code: code\n  scoring_script: score.py\ninstance_count: 1\n"
            "request_settings:\n  max_concurrent_requests_per_instance: 8\n")
        cli = [binary, "--url", url]
        subprocess.run(cli + ["online-endpoint", "create", "-f", str(tmp / "ep.yml")], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(cli + ["online-deployment", "create", "-f", str(tmp / "dep.yml"),
                              "--all-traffic"], check=True, stdout=subprocess.DEVNULL)
        keys = requests.post(f"{url}/api/v1/workspaces/default/online-endpoints/bench-ep/"
                             "list-keys", json={}, timeout=10).json()
        score_url = f"{url}/api/v1/workspaces/default/online-endpoints/bench-ep/score"
        body = json.dumps({"data": [ROW]})
        auth = f"Bearer {keys['primaryKey']}"
        r = requests.post(score_url, data=body, headers={"Authorization": auth}, timeout=10)
        assert r.status_code == 200, r.text
        result = wrk(score_url, seconds, body, auth)
        result["wrk_1conn_p50_ms"] = wrk(score_url, max(3, seconds // 2), body, auth, 1)["p50_ms"]
        # One connection, one request at a time: the front door's own latency (p50).
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port)
        path = score_url.split(str(port), 1)[1]
        times = []
        for _ in range(500):
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Authorization": auth,
                                                           "Content-Type": "application/json"})
            conn.getresponse().read()
            times.append((time.perf_counter() - t0) * 1000)
        result["sequential_p50_ms"] = round(statistics.median(times), 3)
        result["blue_green"] = blue_green_under_load(cli, tmp, model_dir, score_url, body, auth,
                                                     seconds)
        # Instances outlive a server on purpose (re-adopted on restart): deleting the endpoint
        # stops them.
        requests.delete(f"{url}/api/v1/workspaces/default/online-endpoints/bench-ep", timeout=30)
        return result
    finally:
        proc.terminate()
        proc.wait(30)


def blue_green_under_load(cli: list[str], tmp: Path, model_dir: Path, score_url: str, body: str,
                          auth: str, seconds: int) -> dict:
    """wrk for `seconds` (at least 20) while green is created, takes all traffic and blue is
    deleted; every answer must be a 200."""
    (tmp / "green.yml").write_text((tmp / "dep.yml").read_text().replace("name: blue",
                                                                       "name: green"))
    out: dict = {}
    load = threading.Thread(target=lambda: out.update(
        wrk(score_url, max(20, seconds), body, auth)))
    load.start()
    t0 = time.monotonic()
    steps = [["online-deployment", "create", "-f", str(tmp / "green.yml")],
             ["online-endpoint", "update", "-n", "bench-ep", "--traffic", "blue=0 green=100"],
             ["online-deployment", "delete", "-n", "blue", "-e", "bench-ep"]]
    for step in steps:
        subprocess.run(cli + step, check=True, stdout=subprocess.DEVNULL, timeout=300)
    switched_s = time.monotonic() - t0
    load.join()
    return {"rps": out["rps"], "non_2xx": out["non_2xx"], "socket_errors": out["socket_errors"],
            "switch_done_after_s": round(switched_s, 1),
            "switch_inside_load": switched_s < max(20, seconds)}


def bench_mlflow(tmp: Path, model_dir: Path, seconds: int, workers: int) -> dict:
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "mlflow"), "models", "serve", "-m", str(model_dir),
                             "-h", "127.0.0.1", "-p", str(port), "--env-manager", "local",
                             "-w", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / f"mlflow{workers}.log", "wb"),
                            start_new_session=True,
                            env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"})
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/ping")
        except RuntimeError:
            raise RuntimeError((tmp / f"mlflow{workers}.log").read_text()[-2000:]) from None
        body = json.dumps({"dataframe_split": {"data": [ROW]}})
        url = f"http://127.0.0.1:{port}/invocations"
        r = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert r.status_code == 200, r.text
        return wrk(url, seconds, body)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


def run_in_process(model_dir: Path) -> float:
    import pickle

    with open(model_dir / "model.pkl", "rb") as f:
        model = pickle.load(f)
    raw = json.dumps({"data": [ROW]})
    times = []
    for _ in range(2000):
        t0 = time.perf_counter()
        model.predict(json.loads(raw)["data"]).tolist()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlws-serving-bench-") as d:
        tmp = Path(d)
        model_dir = tmp / "model"
        train(model_dir)
        res = {"mlws": bench_mlws(a.bin, tmp, model_dir, a.seconds)}
        print(json.dumps({"target": "mlws", **res["mlws"]}), flush=True)
        for w in (1, 2):
            res[f"mlflow_{w}w"] = bench_mlflow(tmp, model_dir, a.seconds, w)
        run_p50 = run_in_process(model_dir)
        for k, v in res.items():
            if k != "mlws":
                print(json.dumps({"target": k, **v}))
        best = max(res["mlflow_1w"]["rps"], res["mlflow_2w"]["rps"])
        m = res["mlws"]
        print(json.dumps({"ratio_rps_mlws_over_best_mlflow": round(m["rps"] / best, 2),
                          "run_in_process_p50_ms": round(run_p50, 3),
                          "front_door_p50_overhead_ms_wrk": round(m["wrk_1conn_p50_ms"] - run_p50,
                                                                  3),
                          "front_door_p50_overhead_ms_http_client": round(
                              m["sequential_p50_ms"] - run_p50, 3),
                          "blue_green_failed_requests": m["blue_green"]["non_2xx"] +
                          m["blue_green"]["socket_errors"],
                          "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
