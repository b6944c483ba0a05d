"""Helpers for the job tests: the CLI, polling a job, specs in temp folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import requests

from conftest import wait_for_binary

DATA = Path(__file__).resolve().parents[1] / "data" / "azureml" / "cli"
EXAMPLES = DATA / "jobs" / "basics"
COMPUTE_EXAMPLES = DATA / "resources" / "compute"


def cli(url: str, *args: str, output: str | None = None, timeout: float = 120, cwd=None,
        env: dict | None = None):
    cmd = [wait_for_binary(), "--url", url]
    if output:
        cmd += ["-o", output]
    cmd += list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=cwd, env={**os.environ, **(env or {})})


def ok(proc) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc.stdout


def ok_json(proc):
    return json.loads(ok(proc))


def jobs_url(url: str, ws: str = "default") -> str:
    return f"{url}/api/v1/workspaces/{ws}/jobs"


def get_job(url: str, name: str, ws: str = "default", headers=None) -> dict:
    r = requests.get(f"{jobs_url(url, ws)}/{name}", timeout=10, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def wait_status(url: str, name: str, statuses, ws: str = "default", timeout: float = 60,
                headers=None) -> dict:
    if isinstance(statuses, str):
        statuses = (statuses,)
    deadline = time.monotonic() + timeout
    while True:
        job = get_job(url, name, ws, headers)
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job {name} still {job['status']}: {job}"
        time.sleep(0.05)


def submit(url: str, spec: dict, ws: str = "default", headers=None) -> dict:
    r = requests.post(jobs_url(url, ws), json=spec, timeout=30, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


# A job command that waits until the test opens its gate (open_gate): tests hold a slot on an
# event, not on a sleep being long enough. Jobs are sandboxed and cannot see the test's files,
# so the gate is a tag on the job's own run, read over the API as any job would.
GATE = ('until curl -s ${MLFLOW_TRACKING_TOKEN:+-H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN"} '
        '"$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/get?run_id=$MLFLOW_RUN_ID" | grep -q gate-open; '
        'do sleep 0.05; done')


def open_gate(url: str, job: dict, ws: str = "default", headers=None) -> None:
    prefix = "" if ws == "default" else f"/workspaces/{ws}"
    r = requests.post(f"{url}{prefix}/api/2.0/mlflow/runs/set-tag", timeout=10, headers=headers,
                      json={"run_id": job["run_id"], "key": "gate", "value": "gate-open"})
    assert r.status_code == 200, r.text


def logs(url: str, name: str, ws: str = "default", headers=None) -> str:
    out, offset = "", 0
    while True:
        r = requests.get(f"{jobs_url(url, ws)}/{name}/logs", params={"offset": offset},
                         timeout=10, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["data"]
        if body["next_offset"] == offset:
            return out
        offset = body["next_offset"]


def run_output_example(url: str, spec: Path, dest: Path) -> dict:
    """Runs hello-world-output-data.yml (`spec`) with --stream and checks that its named output
    downloads with the CLI into `dest`; returns the job."""
    job = ok_json(cli(url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    ok(cli(url, "job", "download", job["name"], "--download-path", str(dest),
           "--output-name", "hello_output"))
    assert (dest / "named-outputs" / "hello_output" / "helloworld.txt").read_text() == \
        "hello world\n"
    return job


def copy_example(name: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    shutil.copy(EXAMPLES / name, target)
    return target


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
