"""Two `mlws server` processes on one PostgreSQL database and one artifact folder
(docs/scale-out.md "Several servers on one database").

Mixed load (runs, metric batches, 50 jobs) goes to both; one server is killed with SIGKILL while
it dispatches jobs. Then every acknowledged write must be readable through the survivor, and
every job must have run exactly once: each job appends its name to one file, and the test
counts the lines. Everything waits on events (a job's status, lines in the file), not on sleeps.
"""

from __future__ import annotations

import collections
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ML, MlwsServer
from endpoints_util import wait_until
from mlws_testkit import pg

pytestmark = pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")

JOBS = 50
SLOTS = 4


def two_servers(tmp_path, db_uri: str, extra_env=None):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {"MLWS_LOCAL_SLOTS": str(SLOTS), "MLWS_JOB_LEASE_S": "2",
           # Jobs append to a file of the test: unsandboxed (the sandbox hides the test's files).
           "MLWS_JOB_BWRAP": "/nonexistent/bwrap", **(extra_env or {})}
    args = ["--backend-store-uri", db_uri, "--artifacts-destination", f"file://{artifacts}",
            "--allow-unsandboxed-jobs"]
    servers = []
    for name in ("a", "b"):
        servers.append(MlwsServer(tmp_path / f"home-{name}", log_dir=tmp_path, extra_args=args,
                                  env=env).start())
    return servers


def get_job(url: str, name: str) -> dict:
    r = requests.get(f"{url}/api/v1/workspaces/default/jobs/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


class MetricLoad:
    """Creates runs and logs metric batches on one server until stopped; remembers every write
    the server acknowledged (HTTP 200)."""

    def __init__(self, url: str, experiment_id: str):
        self.url = url
        self.experiment_id = experiment_id
        self.acked: dict[str, set[int]] = {}  # run id -> steps of acknowledged batches
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.s = requests.Session()

    def loop(self):
        run_id = None
        step = 0
        while not self.stop.is_set():
            try:
                if run_id is None or step >= 20:
                    r = self.s.post(f"{self.url}{ML}/runs/create", timeout=5,
                                    json={"experiment_id": self.experiment_id,
                                          "start_time": int(time.time() * 1000)})
                    if r.status_code != 200:
                        continue
                    run_id = r.json()["run"]["info"]["run_id"]
                    self.acked[run_id] = set()
                    step = 0
                metrics = [{"key": f"m{k}", "value": step + k / 10, "step": step,
                            "timestamp": int(time.time() * 1000)} for k in range(5)]
                r = self.s.post(f"{self.url}{ML}/runs/log-batch", timeout=5,
                                json={"run_id": run_id, "metrics": metrics})
                if r.status_code == 200:
                    self.acked[run_id].add(step)
                step += 1
            except requests.RequestException:
                if self.stop.wait(0.05):  # the server is gone: nothing more is acknowledged
                    return


def test_two_servers_kill9_loses_nothing_and_runs_each_job_once(tmp_path):
    db = pg.cluster().new_database()
    a, b = two_servers(tmp_path, db)
    try:
        ran = tmp_path / "ran.txt"
        gate = tmp_path / "gate"
        exp = requests.post(f"{a.url}{ML}/experiments/create", json={"name": "load"},
                            timeout=10).json()["experiment_id"]
        # The experiment made on one server is there on the other (no per-process cache).
        assert requests.get(f"{b.url}{ML}/experiments/get", params={"experiment_id": exp},
                            timeout=10).status_code == 200
        loads = [MetricLoad(a.url, exp), MetricLoad(b.url, exp)]
        for load in loads:
            load.thread.start()
        names = []
        for i in range(JOBS):
            srv = (a, b)[i % 2]
            r = requests.post(f"{srv.url}/api/v1/workspaces/default/jobs", timeout=30, json={
                "command": f'echo "$MLWS_JOB_NAME" >> {ran}; '
                           f'until [ -e {gate} ]; do sleep 0.02; done'})
            assert r.status_code == 201, r.text
            names.append(r.json()["name"])
        # Each server runs its own jobs: SLOTS at a time each, the rest queued.
        wait_until(lambda: ran.exists() and len(ran.read_text().split()) >= 2 * SLOTS, 60,
                   "both servers to start their first jobs")
        gate.touch()
        # Mid-dispatch: A has started some of its jobs and still has queued ones.
        wait_until(lambda: len(ran.read_text().split()) >= JOBS // 3, 60, "a third of the jobs")
        a.kill()
        loads[0].stop.set()
        # B takes over A's jobs: queued ones run on B, running ones are re-adopted.
        for name in names:
            wait_until(lambda: get_job(b.url, name)["status"] in
                       ("Completed", "Failed", "Canceled"), 90, f"job {name} to end")
        loads[1].stop.set()
        for load in loads:
            load.thread.join(timeout=10)
        ended = {n: get_job(b.url, n) for n in names}
        failed = {n: j.get("error") for n, j in ended.items() if j["status"] != "Completed"}
        assert not failed, failed
        counts = collections.Counter(ran.read_text().split())
        twice = {n: c for n, c in counts.items() if c != 1}
        assert not twice, f"jobs that ran more than once: {twice}"
        assert set(names) <= set(counts), f"never ran: {set(names) - set(counts)}"
        assert any("taking over" in line for line in b.stderr_lines())

        # Every acknowledged write (on either server) reads back through the survivor.
        checked = 0
        for load in loads:
            for run_id, steps in load.acked.items():
                r = requests.get(f"{b.url}{ML}/runs/get", params={"run_id": run_id}, timeout=10)
                assert r.status_code == 200, r.text
                if not steps:
                    continue
                h = requests.get(f"{b.url}{ML}/metrics/get-history", timeout=10,
                                 params={"run_id": run_id, "metric_key": "m0"}).json()
                got = {m["step"] for m in h.get("metrics", [])}
                assert steps <= got, f"run {run_id}: acknowledged steps lost: {steps - got}"
                checked += len(steps)
        assert checked > 0
        assert all(load.acked for load in loads), "each server acknowledged some writes"
    finally:
        a.kill()
        b.stop()


def test_metric_keys_and_chunks_from_two_servers_share_one_run(tmp_path):
    """Both servers log the same new metric keys into one run at once: key ids come from the
    database (no duplicate-key failure), chunk numbers never collide, the history is whole."""
    db = pg.cluster().new_database()
    a, b = two_servers(tmp_path, db)
    try:
        run = requests.post(f"{a.url}{ML}/runs/create", json={"experiment_id": "0"},
                            timeout=10).json()["run"]["info"]["run_id"]
        errors = []

        def log(url, offset):
            s = requests.Session()
            for i in range(40):
                step = offset + i
                body = {"run_id": run, "metrics": [{"key": f"k{i % 7}", "value": step,
                                                    "step": step, "timestamp": 1000 + step}]}
                # 503 (e.g. PostgreSQL broke a lock cycle between the two writers) is retried,
                # as MLflow's client retries it; anything else is a failure.
                for _ in range(20):
                    r = s.post(f"{url}{ML}/runs/log-batch", timeout=10, json=body)
                    if r.status_code != 503:
                        break
                if r.status_code != 200:
                    errors.append(r.text)

        threads = [threading.Thread(target=log, args=(a.url, 0)),
                   threading.Thread(target=log, args=(b.url, 1000))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        total = 0
        for k in range(7):
            h = requests.get(f"{b.url}{ML}/metrics/get-history", timeout=10,
                             params={"run_id": run, "metric_key": f"k{k}"}).json()["metrics"]
            total += len(h)
        assert total == 80
    finally:
        a.stop()
        b.stop()


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state == "Z"


def cancel(url: str, name: str) -> dict:
    r = requests.post(f"{url}/api/v1/workspaces/default/jobs/{name}/cancel", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_cancel_through_any_server_reaches_the_owner_or_its_successor(tmp_path):
    """A cancel asked of the server that does not run the job is recorded in the database and
    carried out by the job's lease holder: the live owner, or (owner frozen, then killed) the
    server that took the job over. Pipelines too."""
    db = pg.cluster().new_database()
    a, b = two_servers(tmp_path, db)
    try:
        def submit(url, spec):
            r = requests.post(f"{url}/api/v1/workspaces/default/jobs", timeout=30, json=spec)
            assert r.status_code == 201, r.text
            return r.json()["name"]

        def sleeper(tag):
            pid_file = tmp_path / f"{tag}.pid"
            return pid_file, f"echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; " \
                             "exec sleep 300"

        # 1. The owner is alive: submit on A, cancel on B.
        pid_file, cmd = sleeper("live")
        name = submit(a.url, {"command": cmd})
        wait_until(pid_file.exists, 60, "the job's process to start on A")
        pid = int(pid_file.read_text())
        asked = cancel(b.url, name)
        assert asked["cancel_requested"] is True
        assert asked["status"] in ("Queued", "Running"), asked  # as the owner answers
        wait_until(lambda: get_job(b.url, name)["status"] == "Canceled", 60, "the cancel on A")
        wait_until(lambda: process_gone(pid), 30, "the job's process to end")
        assert any("cancel requested through another server" in line
                   for line in a.stderr_lines())

        # 2. A pipeline parent on A, canceled through B: its running step ends too.
        step_pid, cmd = sleeper("step")
        pipe = submit(a.url, {"type": "pipeline", "settings": {"force_rerun": True},
                              "jobs": {"s": {"command": cmd}}})
        wait_until(step_pid.exists, 60, "the pipeline's step to start")
        assert cancel(b.url, pipe)["cancel_requested"] is True
        wait_until(lambda: get_job(b.url, pipe)["status"] == "Canceled", 60, "the pipeline")
        wait_until(lambda: process_gone(int(step_pid.read_text())), 30, "the step's process")

        # 3. The owner cannot carry it out (frozen, then killed): the server that takes the job
        # over does.
        pid_file, cmd = sleeper("orphan")
        name = submit(a.url, {"command": cmd})
        wait_until(pid_file.exists, 60, "the job's process to start on A")
        pid = int(pid_file.read_text())
        os.kill(a.pid, signal.SIGSTOP)
        asked = cancel(b.url, name)
        assert asked["cancel_requested"] is True and asked["status"] in ("Queued", "Running")
        a.kill()
        wait_until(lambda: get_job(b.url, name)["status"] == "Canceled", 60,
                   "B to take the job over and cancel it")
        wait_until(lambda: process_gone(pid), 30, "the job's process to end")
        # Canceling again answers as for any ended job.
        r = requests.post(f"{b.url}/api/v1/workspaces/default/jobs/{name}/cancel", timeout=10)
        assert r.status_code == 409 and "already ended" in r.json()["message"], r.text
    finally:
        a.kill()
        b.stop()
