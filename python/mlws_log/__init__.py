"""Log metrics, params and tags from an mlws job without the MLflow package (stdlib only).

Inside a job, mlws sets MLFLOW_TRACKING_URI (with /workspaces/<ws> for other workspaces),
MLFLOW_RUN_ID and, when the server requires sign-in, MLFLOW_TRACKING_TOKEN; this module sends to
that run through the MLflow REST API:

    import mlws_log
    mlws_log.log_param("lr", 0.1)
    for step in range(10):
        mlws_log.log_metric("loss", 1 / (step + 1), step=step)
    mlws_log.log_metrics({"acc": 0.9, "f1": 0.8})
    mlws_log.set_tag("stage", "train")

Outside a job, set the same variables yourself (or pass run_id= / tracking_uri=).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

__all__ = ["log_metric", "log_metrics", "log_param", "log_params", "set_tag", "MlwsLogError"]


class MlwsLogError(RuntimeError):
    """The server refused a call (the message carries its error_code and message)."""


def _config(run_id: str | None, tracking_uri: str | None) -> tuple[str, str]:
    uri = (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")).rstrip("/")
    rid = run_id or os.environ.get("MLFLOW_RUN_ID", "")
    if not uri or not rid:
        raise MlwsLogError("MLFLOW_TRACKING_URI and MLFLOW_RUN_ID must be set (mlws sets them "
                           "inside jobs)")
    return uri, rid


def _post(uri: str, path: str, body: dict) -> dict:
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(uri + "/api/2.0/mlflow" + path, data=json.dumps(body).encode(),
                                 headers=headers, method="POST")
    for attempt in range(5):
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            if e.code in (429, 503) and attempt < 4:
                time.sleep(0.2 * 2 ** attempt)
                continue
            raise MlwsLogError(f"{path}: HTTP {e.code}: {e.read().decode(errors='replace')}")
        except urllib.error.URLError as e:
            if attempt < 4:
                time.sleep(0.2 * 2 ** attempt)
                continue
            raise MlwsLogError(f"{path}: {e.reason}")
    return {}


def _batch(metrics=(), params=(), tags=(), run_id=None, tracking_uri=None) -> None:
    uri, rid = _config(run_id, tracking_uri)
    _post(uri, "/runs/log-batch", {"run_id": rid, "metrics": list(metrics),
                                   "params": list(params), "tags": list(tags)})


def log_metric(key: str, value: float, step: int = 0, run_id=None, tracking_uri=None) -> None:
    _batch(metrics=[{"key": key, "value": float(value), "step": int(step),
                     "timestamp": int(time.time() * 1000)}],
           run_id=run_id, tracking_uri=tracking_uri)


def log_metrics(metrics: dict, step: int = 0, run_id=None, tracking_uri=None) -> None:
    now = int(time.time() * 1000)
    _batch(metrics=[{"key": k, "value": float(v), "step": int(step), "timestamp": now}
                    for k, v in metrics.items()], run_id=run_id, tracking_uri=tracking_uri)


def log_param(key: str, value, run_id=None, tracking_uri=None) -> None:
    _batch(params=[{"key": key, "value": str(value)}], run_id=run_id, tracking_uri=tracking_uri)


def log_params(params: dict, run_id=None, tracking_uri=None) -> None:
    _batch(params=[{"key": k, "value": str(v)} for k, v in params.items()],
           run_id=run_id, tracking_uri=tracking_uri)


def set_tag(key: str, value, run_id=None, tracking_uri=None) -> None:
    _batch(tags=[{"key": key, "value": str(value)}], run_id=run_id, tracking_uri=tracking_uri)
