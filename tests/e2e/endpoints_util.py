"""Helpers for the online endpoint tests: scoring scripts and deployments in temp folders."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from jobs_util import DATA, cli, ok, ok_json

ONLINE = DATA / "endpoints" / "online"
SAMPLE = ONLINE / "managed" / "sample"

# The score.py the Azure ML sample describes (model-1/onlinescoring/score.py): loads the
# regression model from AZUREML_MODEL_DIR/model/ and answers {"data": [[...10 numbers]]}.
SAMPLE_SCORE = '''
import json, logging, os
import joblib
import numpy

def init():
    global model
    path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")
    model = joblib.load(path)
    logging.info("Init complete")

def run(raw_data):
    data = numpy.array(json.loads(raw_data)["data"])
    result = model.predict(data)
    return result.tolist()
'''

# A scoring script that needs only the standard library. It answers {"who", "n"}; a body
# {"raise": msg} makes run() raise, {"crash": 1} ends the process, {"block": 1} waits until a
# file named "release" appears in its working folder (the test writes it).
ECHO_SCORE = '''
import json, os, time

def init():
    global who, model_files
    who = os.environ.get("WHO", "?")
    if os.environ.get("FAIL_INIT"):
        raise RuntimeError("init exploded on purpose")
    model_files = sorted(os.listdir(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model")))

def run(raw_data):
    req = json.loads(raw_data)
    if "raise" in req:
        raise ValueError(req["raise"])
    if "crash" in req:
        os._exit(7)
    if "block" in req:
        print("blocking", flush=True)
        deadline = time.time() + 60
        while not os.path.exists("release") and time.time() < deadline:
            time.sleep(0.01)
    return {"who": who, "n": req.get("n"), "files": model_files}
'''


def write_deployment(tmp: Path, name: str, endpoint: str, *, who: str = None, score: str = ECHO_SCORE,
                     extra: str = "", env_vars: dict | None = None, model: Path | None = None,
                     environment: str | None = None) -> Path:
    d = tmp / f"{name}-{who or name}"
    (d / "code").mkdir(parents=True, exist_ok=True)
    (d / "code" / "score.py").write_text(score)
    if model is None:
        model = d / "model"
        model.mkdir(exist_ok=True)
        (model / "weights.txt").write_text(name)
    env = {"WHO": who or name, **(env_vars or {})}
    lines = [f"name: {name}", f"endpoint_name: {endpoint}", "model:", f"  path: {model}",
             "code_configuration:", "  code: code", "  scoring_script: score.py",
             "instance_count: 1", "environment_variables:"]
    lines += [f"  {k}: \"{v}\"" for k, v in env.items()]
    if environment:
        lines.append(f"environment: {environment}")
    spec = d / "deployment.yml"
    spec.write_text("\n".join(lines) + "\n" + extra)
    return spec


def create_endpoint(url: str, tmp: Path, name: str, auth_mode: str = "key") -> dict:
    spec = tmp / f"endpoint-{name}.yml"
    spec.write_text(f"name: {name}\nauth_mode: {auth_mode}\n")
    return ok_json(cli(url, "-o", "json", "online-endpoint", "create", "-f", str(spec)))


def ep_url(url: str, name: str = "", ws: str = "default") -> str:
    base = f"{url}/api/v1/workspaces/{ws}/online-endpoints"
    return f"{base}/{name}" if name else base


def keys(url: str, endpoint: str) -> dict:
    r = requests.post(f"{ep_url(url, endpoint)}/list-keys", json={}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def score(url: str, endpoint: str, body, key: str | None = None, deployment: str | None = None,
          headers: dict | None = None, timeout: float = 30) -> requests.Response:
    h = dict(headers or {})
    if key:
        h["Authorization"] = f"Bearer {key}"
    if deployment:
        h["azureml-model-deployment"] = deployment
    data = body if isinstance(body, (bytes, str)) else None
    return requests.post(f"{ep_url(url, endpoint)}/score", json=None if data else body, data=data,
                         headers=h, timeout=timeout)


def delete_all_endpoints(url: str, headers: dict | None = None) -> None:
    """Scoring instances outlive a stopped server on purpose (a restart re-adopts them): tests
    delete their endpoints, which stops the instances, before stopping a server."""
    r = requests.get(ep_url(url), headers=headers, timeout=10)
    for e in r.json().get("value", []) if r.status_code == 200 else []:
        requests.delete(ep_url(url, e["name"]), headers=headers, timeout=30)


def deployment(url: str, endpoint: str, name: str) -> dict:
    r = requests.get(f"{ep_url(url, endpoint)}/deployments/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def wait_until(pred, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def metric(url: str, name: str, **labels) -> float:
    text = requests.get(f"{url}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


__all__ = ["ONLINE", "SAMPLE", "SAMPLE_SCORE", "ECHO_SCORE", "write_deployment",
           "create_endpoint", "delete_all_endpoints", "ep_url", "keys", "score", "deployment", "wait_until", "metric",
           "cli", "ok", "ok_json"]
