"""Jobs outlive the server: a job running when the server is killed keeps running and is
re-adopted by the next server; a job that ended while the server was down gets its real exit
code; a job whose process vanished without an exit code is marked Failed with the reason;
queued jobs stay queued. Nothing is left Running forever."""

from __future__ import annotations

import os
import signal
import time

import requests

from conftest import MlwsServer
from jobs_util import GATE, group_alive, logs, open_gate, submit, wait_status
from mlws_testkit import compute


def restart(old: MlwsServer, tmp_path) -> MlwsServer:
    # Same home and port: the jobs' MLFLOW_TRACKING_URI stays valid.
    return MlwsServer(old.home, log_dir=tmp_path, port=old.port).start()


def supervisor_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


@compute.local_only("watches the job's local process group; test_jobs_slurm.py re-adopts "
                    "Slurm jobs by their job id")
def test_running_job_is_readopted_after_kill9(spawn, tmp_path):
    srv = spawn()
    job = submit(srv.url, {"command": f"echo before; {GATE}; echo after"})
    running = wait_status(srv.url, job["name"], "Running")
    pgid = running["process_id"]
    assert pgid and group_alive(pgid)
    srv.kill()
    time.sleep(0.3)
    assert group_alive(pgid), "the job died with the server"
    srv2 = restart(srv, tmp_path)
    try:
        # The job waits at its gate, so it is still running whatever the restart took.
        assert requests.get(f"{srv2.url}/api/v1/workspaces/default/jobs/{job['name']}",
                            timeout=10).json()["status"] == "Running"
        open_gate(srv2.url, running)
        done = wait_status(srv2.url, job["name"], ("Completed", "Failed"), timeout=30)
        assert done["status"] == "Completed", done
        assert done["exit_code"] == 0
        assert logs(srv2.url, job["name"]) == "before\nafter\n"
        assert "re-adopting job " + job["name"] in srv2.stderr()
    finally:
        srv2.stop()


@compute.local_only("watches the job's local process group; test_jobs_slurm.py re-adopts "
                    "Slurm jobs by their job id")
def test_job_that_ended_while_server_was_down_gets_its_exit_code(spawn, tmp_path):
    srv = spawn()
    # The job ends as soon as the server stops answering: it ends while the server is down.
    job = submit(srv.url, {"command": 'while curl -s -o /dev/null "$MLFLOW_TRACKING_URI"; '
                                      'do sleep 0.05; done; echo bye; exit 4'})
    running = wait_status(srv.url, job["name"], "Running")
    pgid = running["process_id"]
    assert srv.stop() == 0  # SIGTERM: the server stops, the job does not
    deadline = time.monotonic() + 30
    while group_alive(pgid):  # the job ends while the server is down
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.05)
    srv2_started_ms = int(time.time() * 1000)
    srv2 = restart(srv, tmp_path)
    try:
        done = wait_status(srv2.url, job["name"], ("Completed", "Failed"), timeout=10)
        assert done["status"] == "Failed" and done["exit_code"] == 4
        assert "exited with code 4" in done["error"] and "bye" in done["error"]
        assert done["ended_at"] <= int(time.time() * 1000)
        assert done["ended_at"] < srv2_started_ms  # the real end, not the restart
    finally:
        srv2.stop()


@compute.local_only("watches the job's local process group; test_jobs_slurm.py re-adopts "
                    "Slurm jobs by their job id")
def test_vanished_process_is_marked_failed_with_reason(spawn, tmp_path):
    srv = spawn()
    job = submit(srv.url, {"command": "sleep 120"})
    pgid = wait_status(srv.url, job["name"], "Running")["process_id"]
    supervisor = supervisor_of(pgid)
    srv.kill()
    os.kill(supervisor, signal.SIGKILL)  # e.g. the machine rebooted
    os.killpg(pgid, signal.SIGKILL)
    time.sleep(0.3)
    srv2 = restart(srv, tmp_path)
    try:
        done = wait_status(srv2.url, job["name"], ("Failed",), timeout=10)
        assert "left no exit code" in done["error"]
        assert done["exit_code"] is None
    finally:
        srv2.stop()


def test_queued_jobs_survive_a_restart(spawn, tmp_path):
    srv = spawn()
    requests.post(f"{srv.url}/api/v1/workspaces/default/computes",
                  json={"name": "single", "max_instances": 1}, timeout=10).raise_for_status()
    first = submit(srv.url, {"command": "sleep 1", "compute": "single"})
    second = submit(srv.url, {"command": "echo second", "compute": "single"})
    wait_status(srv.url, first["name"], "Running")
    srv.kill()
    srv2 = restart(srv, tmp_path)
    try:
        a = wait_status(srv2.url, first["name"], "Completed", timeout=20)
        b = wait_status(srv2.url, second["name"], "Completed", timeout=20)
        assert b["started_at"] >= a["ended_at"]
        assert logs(srv2.url, second["name"]) == "second\n"
        jobs = requests.get(f"{srv2.url}/api/v1/workspaces/default/jobs", timeout=10).json()
        assert all(j["status"] in ("Completed",) for j in jobs["value"])
    finally:
        srv2.stop()


def test_kill9_during_dispatch_runs_every_job_exactly_once(spawn, tmp_path):
    """A server killed between starting a batch of jobs and recording them: on restart each of
    those jobs is adopted (the supervisor's started file says it runs), none is started again.
    Each run marks itself with a metric point (jobs are sandboxed: they cannot write to the
    test's folders); curl retries while the server restarts."""
    mark = ("curl -s -o /dev/null --retry 60 --retry-connrefused --retry-max-time 60 -X POST "
            "-H 'Content-Type: application/json' "
            "\"$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric\" -d "
            "\"{\\\"run_id\\\": \\\"$MLFLOW_RUN_ID\\\", \\\"key\\\": \\\"ran\\\", "
            "\\\"value\\\": 1, \\\"timestamp\\\": $(date +%s%3N)}\"")
    srv = spawn()
    compute = "burst"
    requests.post(f"{srv.url}/api/v1/workspaces/default/computes", timeout=10,
                  json={"name": compute, "type": "amlcompute", "max_instances": 1}).raise_for_status()
    blocker = submit(srv.url, {"command": GATE, "compute": compute})  # holds the slot
    names = []
    for i in range(150):
        job = submit(srv.url, {"command": f"{mark}; sleep 1", "compute": compute})
        names.append(job["name"])
    wait_status(srv.url, blocker["name"], "Running")
    # Open the gate for all of them at once, then kill the server while it dispatches.
    requests.post(f"{srv.url}/api/v1/workspaces/default/computes", timeout=10,
                  json={"name": compute, "type": "amlcompute", "max_instances": 200})
    time.sleep(0.02)
    srv.kill()
    srv2 = restart(srv, tmp_path)
    try:
        counts = {}
        for name in names:
            done = wait_status(srv2.url, name, ("Completed", "Failed", "Canceled"), timeout=60)
            assert done["status"] == "Completed", (name, done.get("error"), done.get("exit_code"))
            r = requests.get(f"{srv2.url}/api/2.0/mlflow/metrics/get-history", timeout=10,
                             params={"run_id": done["run_id"], "metric_key": "ran"})
            counts[name] = len(r.json().get("metrics", []))
        assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
        open_gate(srv2.url, blocker)
        assert wait_status(srv2.url, blocker["name"], "Completed")["status"] == "Completed"
    finally:
        srv2.stop()
