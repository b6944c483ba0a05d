"""Jobs on a `type: slurm` compute, end to end against a real single-node Slurm 22.05 cluster
(python/mlws_testkit/slurm.py) started for this module: the Azure ML examples run unmodified
but for their compute; inputs, outputs, failure, cancel (scancel) and a server restart
(re-adoption by Slurm job id); node-seconds come from the real start on the cluster; state comes
from one batched squeue call per poll; a broken cluster fails the job with sbatch's message."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import MlwsServer, ML, assert_error, unique
from jobs_util import (GATE, cli, copy_example, get_job, logs, ok, ok_json, open_gate,
                       run_output_example, submit, wait_status)
from mlws_testkit.slurm import SlurmCluster, available

COMPUTE = "slurm"


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    why = available()
    if why:
        pytest.fail(f"the Slurm tests need a local Slurm ({why}); `make deps` installs it",
                    pytrace=False)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def squeue_log(tmp_path_factory) -> Path:
    """A PATH entry whose `squeue` records every call's arguments, then runs the real one."""
    shim = tmp_path_factory.mktemp("shim")
    log = shim / "squeue.calls"
    real = subprocess.run(["sh", "-c", "command -v squeue"], capture_output=True,
                          text=True).stdout.strip()
    (shim / "squeue").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    os.chmod(shim / "squeue", 0o755)
    return log


def server_env(slurm: SlurmCluster, squeue_log: Path | None = None, **extra) -> dict:
    env = {**slurm.env(), "MLWS_JOB_KILL_GRACE_S": "2", **extra}
    if squeue_log is not None:
        env["PATH"] = f"{squeue_log.parent}:{os.environ['PATH']}"
    return env


def create_compute(url: str, body: dict) -> dict:
    r = requests.post(f"{url}/api/v1/workspaces/default/computes", json=body, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory, slurm, squeue_log):
    base = tmp_path_factory.mktemp("mlws-slurm")
    srv = MlwsServer(base / "home", log_dir=base, env=server_env(slurm, squeue_log)).start()
    create_compute(srv.url, {"name": COMPUTE, "type": "slurm", "partition": slurm.partition,
                             "max_instances": 32, "price_per_node_hour": 3.6,
                             "time_limit": "10:00"})
    yield srv
    assert srv.stop() == 0, srv.stderr()


def scontrol_job(slurm: SlurmCluster, job_id: int) -> dict:
    out = subprocess.run(["scontrol", "-o", "show", "job", str(job_id)], capture_output=True,
                         text=True, env={**os.environ, **slurm.env()}, timeout=10)
    assert out.returncode == 0, out.stderr
    return dict(w.split("=", 1) for w in out.stdout.split() if "=" in w)


def on_slurm(spec: dict, compute: str = COMPUTE) -> dict:
    return {**spec, "compute": f"azureml:{compute}"}


def example_on_slurm(name: str, dest: Path) -> Path:
    spec = copy_example(name, dest)
    spec.write_text(spec.read_text() + f"compute: azureml:{COMPUTE}\n")
    return spec


def wait_log(url: str, name: str, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in logs(url, name):
        assert time.monotonic() < deadline, f"{text!r} never appeared in the log of {name}"
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# the Azure ML examples on Slurm


def test_hello_world_example_runs_through_sbatch(server, slurm, tmp_path):
    spec = example_on_slurm("hello-world.yml", tmp_path / "examples")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    assert job["exit_code"] == 0 and job["compute"] == COMPUTE
    assert "hello world" in logs(server.url, job["name"])
    slurm_id = job["slurm"]["job_id"]
    info = scontrol_job(slurm, slurm_id)
    assert info["JobName"] == "mlws-" + job["name"]
    assert info["JobState"] == "COMPLETED" and info["ExitCode"] == "0:0"
    assert info["Partition"] == slurm.partition and info["TimeLimit"] == "00:10:00"
    assert job["created_at"] <= job["started_at"] <= job["ended_at"]


def test_input_example_logs_params(server, tmp_path):
    spec = example_on_slurm("hello-world-input.yml", tmp_path / "inputs")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    assert "hello world\n42" in logs(server.url, job["name"])
    r = requests.get(f"{server.url}{ML}/runs/get", params={"run_id": job["run_id"]}, timeout=10)
    params = {p["key"]: p["value"] for p in r.json()["run"]["data"]["params"]}
    assert params == {"hello_string": "hello world", "hello_number": "42"}


def test_output_example_is_downloadable(server, tmp_path):
    spec = example_on_slurm("hello-world-output-data.yml", tmp_path / "out")
    job = run_output_example(server.url, spec, tmp_path / "dl")
    assert job["compute"] == COMPUTE and job["slurm"]["job_id"] > 0


def test_job_is_sandboxed_on_the_node(server):
    db = server.home / "master.key"  # the server's own secret (on any metadata backend)
    assert db.exists()
    job = submit(server.url, on_slurm({"command": f"test -e {db} && echo VISIBLE; id -u"}))
    done = wait_status(server.url, job["name"], ("Completed", "Failed"), timeout=60)
    text = logs(server.url, job["name"])
    assert "VISIBLE" not in text, text  # the server's key does not exist inside
    assert text.strip().splitlines()[-1] == "65534", text  # nobody, as on the local compute
    assert done["status"] == "Completed", done  # the last command (id -u) succeeded


# ---------------------------------------------------------------------------------------------
# failure, cancel, cost


def test_failure_records_exit_code_and_last_lines(server):
    job = submit(server.url, on_slurm({"command": "echo first; echo boom >&2; exit 3"}))
    done = wait_status(server.url, job["name"], ("Completed", "Failed"), timeout=60)
    assert done["status"] == "Failed" and done["exit_code"] == 3
    assert "exited with code 3" in done["error"] and "boom" in done["error"]


def test_cancel_is_scancel(server, slurm):
    job = submit(server.url, on_slurm({"command": "echo ready; sleep 300"}))
    wait_status(server.url, job["name"], "Running")
    wait_log(server.url, job["name"], "ready")
    t0 = time.monotonic()
    ok(cli(server.url, "job", "cancel", job["name"]))
    done = wait_status(server.url, job["name"], "Canceled", timeout=30)
    assert time.monotonic() - t0 < 15
    assert scontrol_job(slurm, done["slurm"]["job_id"])["JobState"] == "CANCELLED"


def test_node_seconds_come_from_the_cluster(server):
    job = submit(server.url, on_slurm({"command": "sleep 2"}))
    done = wait_status(server.url, job["name"], ("Completed", "Failed"), timeout=60)
    assert done["status"] == "Completed", done
    assert 1.9 <= done["node_seconds"] < 6, done
    assert done["cost"] == pytest.approx(done["node_seconds"] / 3600 * 3.6, rel=1e-3)


def test_many_jobs_are_polled_with_one_squeue_call(server, squeue_log):
    squeue_log.write_text("")
    jobs = [submit(server.url, on_slurm({"command": GATE})) for _ in range(6)]
    running = [wait_status(server.url, j["name"], "Running") for j in jobs]
    ids = {str(get_job(server.url, j["name"])["slurm"]["job_id"]) for j in running}
    # Wait until one poll has seen all six, then let them end.
    deadline = time.monotonic() + 30
    while True:
        calls = [line.split() for line in squeue_log.read_text().splitlines()]
        lists = [set(c[c.index("-j") + 1].split(",")) for c in calls if "-j" in c]
        if any(ids <= listed for listed in lists):
            break
        assert time.monotonic() < deadline, calls[-5:]
        time.sleep(0.05)
    for j in running:
        open_gate(server.url, j)
    for j in jobs:
        assert wait_status(server.url, j["name"], ("Completed", "Failed"),
                           timeout=60)["status"] == "Completed"
    calls = squeue_log.read_text().splitlines()
    # Never one call per job: every call names every job watched at that moment.
    assert all("-j" in c.split() for c in calls)
    assert len(calls) < 600, len(calls)


# ---------------------------------------------------------------------------------------------
# restart, broken clusters, bad specs


def test_restart_readopts_the_slurm_job(spawn, slurm, tmp_path):
    srv = spawn(env=server_env(slurm))
    create_compute(srv.url, {"name": COMPUTE, "type": "slurm", "max_instances": 4})
    job = submit(srv.url, on_slurm({"command": f"echo before; {GATE}; echo after"}))
    running = wait_status(srv.url, job["name"], "Running")
    wait_log(srv.url, job["name"], "before")
    slurm_id = get_job(srv.url, job["name"])["slurm"]["job_id"]
    srv.kill()
    assert scontrol_job(slurm, slurm_id)["JobState"] == "RUNNING"
    srv2 = MlwsServer(srv.home, log_dir=tmp_path, port=srv.port, env=server_env(slurm)).start()
    try:
        assert get_job(srv2.url, job["name"])["status"] == "Running"
        open_gate(srv2.url, running)
        done = wait_status(srv2.url, job["name"], ("Completed", "Failed"), timeout=60)
        assert done["status"] == "Completed", done
        assert logs(srv2.url, job["name"]) == "before\nafter\n"
        assert f"re-adopting job {job['name']} (Slurm job {slurm_id})" in srv2.stderr()
    finally:
        srv2.stop()


def test_unknown_partition_fails_the_job_with_sbatch_message(server):
    compute = unique("nopart")
    create_compute(server.url, {"name": compute, "type": "slurm", "partition": "nosuchpart"})
    job = submit(server.url, on_slurm({"command": "echo never"}, compute))
    done = wait_status(server.url, job["name"], ("Failed", "Completed"), timeout=60)
    assert done["status"] == "Failed"
    assert "sbatch failed" in done["error"] and "invalid partition" in done["error"].lower(), done
    assert done["started_at"] is None or done["exit_code"] is None


def test_unreachable_cluster_fails_the_job_and_the_server_answers(spawn, slurm, tmp_path):
    srv = spawn(env=server_env(slurm, SLURM_CONF=str(tmp_path / "missing.conf"),
                               MLWS_SLURM_COMMAND_TIMEOUT_S="3"))
    create_compute(srv.url, {"name": COMPUTE, "type": "slurm"})
    job = submit(srv.url, on_slurm({"command": "echo never"}))
    done = wait_status(srv.url, job["name"], ("Failed", "Completed"), timeout=60)
    assert done["status"] == "Failed" and "sbatch failed" in done["error"], done
    assert requests.get(f"{srv.url}/health", timeout=5).status_code == 200
    # The next submission fails at once instead of waiting out the timeout again.
    t0 = time.monotonic()
    second = submit(srv.url, on_slurm({"command": "echo never"}))
    done = wait_status(srv.url, second["name"], ("Failed", "Completed"), timeout=60)
    assert done["status"] == "Failed" and "did not answer a submission" in done["error"], done
    assert time.monotonic() - t0 < 2.5


BAD_COMPUTES = [
    ({"type": "slurm", "partition": "a b"}, "'partition' must be a Slurm partition name"),
    ({"type": "slurm", "partition": 3}, "'partition' must be"),
    ({"type": "slurm", "account": "x;rm"}, "'account' must be"),
    ({"type": "slurm", "qos": ""}, "'qos' must be"),
    ({"type": "slurm", "gres": "gpu:1 --wrap"}, "'gres' must be"),
    ({"type": "slurm", "time_limit": "1:2:3:4"}, "'time_limit' must be a Slurm time limit"),
    ({"type": "slurm", "time_limit": 0}, "'time_limit' must be"),
    ({"type": "slurm", "max_nodes": 0}, "'max_nodes' must be"),
    ({"type": "slurm", "max_nodes": 2, "max_instances": 3}, "disagree"),
    ({"type": "amlcompute", "partition": "debug"}, "field of Slurm computes only"),
]


@pytest.mark.parametrize("body,message", BAD_COMPUTES, ids=[m for _, m in BAD_COMPUTES])
def test_bad_slurm_compute_specs_are_400_and_change_nothing(server, body, message):
    url = f"{server.url}/api/v1/workspaces/default/computes"
    before = requests.get(url, timeout=10).json()
    r = requests.post(url, json={"name": unique("bad"), **body}, timeout=10)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", message)
    assert requests.get(url, timeout=10).json() == before


def test_compute_shows_its_slurm_placement(server, slurm):
    r = requests.get(f"{server.url}/api/v1/workspaces/default/computes/{COMPUTE}", timeout=10)
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["type"] == "slurm" and c["partition"] == slurm.partition
    assert c["time_limit"] == "10:00" and c["max_instances"] == 32


# ---------------------------------------------------------------------------------------------
# Slurm's queue: Queued with Slurm's reason, timeouts from the start, arrays, several nodes


def set_node(slurm: SlurmCluster, state: str) -> None:
    from mlws_testkit.slurm import NODE
    subprocess.run(["scontrol", "update", f"nodename={NODE}", f"state={state}", "reason=test"],
                   env={**os.environ, **slurm.env()}, check=True, capture_output=True, timeout=10)


def wait_reason(url: str, name: str, text: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = get_job(url, name)
        if text in job.get("queue_reason", ""):
            return job
        assert time.monotonic() < deadline, f"no {text!r} in the queue reason of {job}"
        time.sleep(0.05)


def test_pending_job_is_queued_with_slurm_reason_and_timeout_counts_from_its_start(server, slurm):
    set_node(slurm, "drain")
    try:
        job = submit(server.url, on_slurm({"command": "sleep 1; echo fine",
                                           "limits": {"timeout": 2}}))
        waiting = wait_reason(server.url, job["name"], "Slurm: PENDING")
        assert waiting["status"] == "Queued" and waiting["slurm"]["job_id"] > 0, waiting
        assert waiting["started_at"] is None and waiting["node_seconds"] == 0, waiting
        assert scontrol_job(slurm, waiting["slurm"]["job_id"])["JobState"] == "PENDING"
        # Longer in Slurm's queue than its limits.timeout: the limit counts from the start on
        # the node, so the job is not stopped for having waited.
        time.sleep(3)
        assert get_job(server.url, job["name"])["status"] == "Queued"
    finally:
        set_node(slurm, "resume")
    done = wait_status(server.url, job["name"], ("Completed", "Failed", "Canceled"), timeout=60)
    assert done["status"] == "Completed", done
    assert "queue_reason" not in done and done["started_at"] >= waiting["created_at"] + 3000
    assert "fine" in logs(server.url, job["name"])


def test_a_burst_of_jobs_is_one_sbatch_array(server, slurm):
    compute = unique("burst")
    create_compute(server.url, {"name": compute, "type": "slurm", "max_instances": 1})
    blocker = submit(server.url, on_slurm({"command": GATE}, compute))
    wait_status(server.url, blocker["name"], "Running")
    jobs = [submit(server.url, on_slurm({"command": 'echo "I am $AZUREML_RUN_ID"'}, compute))
            for _ in range(5)]
    assert all(get_job(server.url, j["name"])["status"] == "Queued" for j in jobs)
    create_compute(server.url, {"name": compute, "type": "slurm", "max_instances": 8})
    open_gate(server.url, blocker)
    done = [wait_status(server.url, j["name"], ("Completed", "Failed"), timeout=60) for j in jobs]
    assert all(d["status"] == "Completed" for d in done), done
    # Released together, the five went to Slurm as one array, each task running its own job.
    assert len({d["slurm"]["job_id"] for d in done}) == 1, [d["slurm"] for d in done]
    assert sorted(d["slurm"]["array_task"] for d in done) == [0, 1, 2, 3, 4]
    for d in done:
        assert logs(server.url, d["name"]) == f"I am {d['name']}\n"
        info = scontrol_job(slurm, f"{d['slurm']['job_id']}_{d['slurm']['array_task']}")
        assert info["JobState"] == "COMPLETED" and info["ArrayTaskId"] == str(
            d["slurm"]["array_task"])


def test_pytorch_distribution_runs_under_srun_with_rank_variables(server):
    job = submit(server.url, on_slurm({
        "command": 'echo "world=$WORLD_SIZE rank=$RANK local=$LOCAL_RANK node=$NODE_RANK '
                   'master=$MASTER_ADDR:$MASTER_PORT procid=${SLURM_PROCID:-none}"',
        "distribution": {"type": "pytorch", "process_count_per_instance": 2}}))
    done = wait_status(server.url, job["name"], ("Completed", "Failed"), timeout=60)
    assert done["status"] == "Completed", done
    lines = sorted(logs(server.url, job["name"]).splitlines())
    # Two tasks on the one node; the job's own environment only (no SLURM_* leaks in).
    assert lines == ["world=2 rank=0 local=0 node=0 master=mlwsnode:29500 procid=none",
                     "world=2 rank=1 local=1 node=0 master=mlwsnode:29500 procid=none"], lines


def test_two_node_job_waits_with_slurms_reason_on_a_one_node_cluster(server, slurm):
    job = submit(server.url, on_slurm({"command": "echo never", "resources": {"instance_count": 2}}))
    waiting = wait_reason(server.url, job["name"], "Slurm: PENDING")
    assert waiting["status"] == "Queued", waiting
    info = scontrol_job(slurm, waiting["slurm"]["job_id"])
    assert info["NumNodes"].startswith("2") and info["JobState"] == "PENDING", info
    ok(cli(server.url, "job", "cancel", job["name"]))
    done = wait_status(server.url, job["name"], ("Canceled", "Failed"), timeout=30)
    assert done["status"] == "Canceled", done
    assert scontrol_job(slurm, waiting["slurm"]["job_id"])["JobState"] == "CANCELLED"
