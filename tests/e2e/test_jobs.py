"""Command jobs end to end: the Azure ML example specs run unmodified through the CLI against a
real server; the job is a run (MLflow statuses, params, env vars for the tracking client);
logs stream and download; failure, cancel and timeout; bad input changes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from conftest import ML, MlwsServer, assert_error, unique
from jobs_util import (cli, copy_example, get_job, group_alive, jobs_url, logs, ok, ok_json,
                       run_output_example, submit, wait_status)
from mlws_testkit import compute


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-jobs")
    srv = MlwsServer(base / "home", log_dir=base,
                     env={"MLWS_JOB_KILL_GRACE_S": "2", "MLWS_LOCAL_SLOTS": "8"})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def run_status(url: str, run_id: str, ws: str = "default") -> dict:
    prefix = "" if ws == "default" else f"/workspaces/{ws}"
    r = requests.get(f"{url}{prefix}{ML}/runs/get", params={"run_id": run_id}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["run"]


# ---------------------------------------------------------------------------------------------
# the Azure ML examples, unmodified


@pytest.mark.parametrize("example,expected", [
    ("hello-world.yml", "hello world"),
    ("hello-world-env-var.yml", "hello world"),
    ("hello-world-input.yml", "hello world\n42"),
])
def test_example_runs_unmodified_with_stream(server, tmp_path, example, expected):
    spec = copy_example(example, tmp_path / "examples")
    proc = cli(server.url, "job", "create", "-f", str(spec), "--stream")
    out = ok(proc)
    assert expected in out
    assert "Execution summary" in out and "Completed" in out
    # The experiment is named after the spec's folder (Azure: the submitting folder).
    jobs = requests.get(jobs_url(server.url), timeout=10).json()["value"]
    job = next(j for j in jobs if expected.split("\n")[0] in logs(server.url, j["name"]))
    assert job["status"] == "Completed" and job["exit_code"] == 0
    assert job["experiment_name"] == "examples"
    assert "image" in job["environment"] and "environment_note" in job
    run = run_status(server.url, job["run_id"])
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["experiment_id"] == job["experiment_id"]


def test_example_literal_inputs_become_params(server, tmp_path):
    spec = copy_example("hello-world-input.yml", tmp_path / "inputs")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed"
    params = {p["key"]: p["value"] for p in run_status(server.url, job["run_id"])["data"]["params"]}
    assert params == {"hello_string": "hello world", "hello_number": "42"}
    assert job["inputs"]["hello_number"] == {"type": "integer", "value": "42"}


def test_example_output_data_is_downloadable(server, tmp_path):
    spec = copy_example("hello-world-output-data.yml", tmp_path / "out")
    dest = tmp_path / "dl"
    job = run_output_example(server.url, spec, dest)
    ok(cli(server.url, "job", "download", job["name"], "--download-path", str(dest / "all")))
    assert (dest / "all" / "artifacts" / "user_logs" / "std_log.txt").exists()


# ---------------------------------------------------------------------------------------------
# the job is a run


def test_job_gets_tracking_environment_in_other_workspace(server):
    ws = unique("jobws")
    assert requests.post(f"{server.url}/api/v1/workspaces", json={"name": ws},
                         timeout=10).status_code in (200, 201)
    job = submit(server.url, {
        "command": "echo URI=$MLFLOW_TRACKING_URI RUN=$MLFLOW_RUN_ID EXP=$MLFLOW_EXPERIMENT_ID "
                   "AZ=$AZUREML_RUN_ID X=$MY_VAR",
        "experiment_name": "env-check", "environment_variables": {"MY_VAR": 7},
        "display_name": "env check", "tags": {"team": "a"}}, ws=ws)
    assert job["status"] == "Queued" and job["display_name"] == "env check"
    done = wait_status(server.url, job["name"], "Completed", ws=ws)
    text = logs(server.url, job["name"], ws=ws)
    assert f"URI={server.url}/workspaces/{ws} " in text
    assert f"RUN={done['run_id']} EXP={done['experiment_id']} AZ={done['name']} X=7" in text
    run = run_status(server.url, done["run_id"], ws=ws)
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "a" and tags["mlflow.runName"] == "env check"
    assert run["info"]["status"] == "FINISHED"
    # The run shows in its experiment.
    r = requests.get(f"{server.url}/workspaces/{ws}{ML}/experiments/get-by-name",
                     params={"experiment_name": "env-check"}, timeout=10)
    assert r.json()["experiment"]["experiment_id"] == done["experiment_id"]


def test_script_logs_metrics_with_stdlib_helper(server):
    script = ("import mlws_log\n"
              "for s in range(3): mlws_log.log_metric('loss', 1.0 / (s + 1), step=s)\n"
              "mlws_log.log_param('seen', 'yes')\n")
    job = submit(server.url, {"command": f"python3 -c \"{script}\""})
    done = wait_status(server.url, job["name"], ("Completed", "Failed"))
    assert done["status"] == "Completed", done
    r = requests.get(f"{server.url}{ML}/metrics/get-history",
                     params={"run_id": done["run_id"], "metric_key": "loss"}, timeout=10)
    assert [m["step"] for m in r.json()["metrics"]] == [0, 1, 2]
    params = {p["key"]: p["value"] for p in run_status(server.url, done["run_id"])["data"]["params"]}
    assert params["seen"] == "yes"


def test_outputs_folder_is_captured_into_run_artifacts(server):
    job = submit(server.url, {"command": "mkdir -p outputs/sub && echo x > outputs/sub/a.txt"})
    done = wait_status(server.url, job["name"], "Completed")
    r = requests.get(f"{server.url}{ML}/artifacts/list",
                     params={"run_id": done["run_id"], "path": "outputs/sub"}, timeout=10)
    assert [f["path"] for f in r.json()["files"]] == ["outputs/sub/a.txt"]
    r = requests.get(f"{server.url}{ML}/artifacts/list",
                     params={"run_id": done["run_id"], "path": "user_logs"}, timeout=10)
    assert [f["path"] for f in r.json()["files"]] == ["user_logs/std_log.txt"]


# ---------------------------------------------------------------------------------------------
# failure, cancel, timeout


def test_failure_records_exit_code_and_last_lines(server, tmp_path):
    spec = tmp_path / "fail.yml"
    spec.write_text("command: echo first; echo boom >&2; exit 3\n")
    proc = cli(server.url, "job", "create", "-f", str(spec), "--stream")
    assert proc.returncode == 1
    assert "boom" in proc.stdout
    assert "Failed" in proc.stderr and "exited with code 3" in proc.stderr
    job = get_job(server.url, proc.stdout.split("RunId: ")[1].split()[0])
    assert job["status"] == "Failed" and job["exit_code"] == 3
    assert "boom" in job["error"]
    assert run_status(server.url, job["run_id"])["info"]["status"] == "FAILED"


def test_cancel_running_job_kills_its_process_group(server):
    job = submit(server.url, {"command": "sleep 300 & sleep 300; wait"})
    running = wait_status(server.url, job["name"], "Running")
    time.sleep(0.3)
    t0 = time.monotonic()
    ok(cli(server.url, "job", "cancel", job["name"]))
    done = wait_status(server.url, job["name"], "Canceled", timeout=20)
    assert time.monotonic() - t0 < 5
    assert done["ended_at"] >= done["started_at"] >= running["created_at"]
    assert run_status(server.url, done["run_id"])["info"]["status"] == "KILLED"
    r = requests.post(f"{jobs_url(server.url)}/{job['name']}/cancel", timeout=10)
    assert_error(r, 409, "RESOURCE_CONFLICT", "already ended")


@compute.local_only("the grace before SIGKILL is the local supervisor's MLWS_JOB_KILL_GRACE_S; "
                    "on Slurm it is the cluster's KillWait")
def test_cancel_escalates_to_sigkill_after_grace(server):
    job = submit(server.url, {"command": "trap '' TERM; echo ready; sleep 300"})
    wait_status(server.url, job["name"], "Running")
    deadline = time.monotonic() + 10
    while "ready" not in logs(server.url, job["name"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    t0 = time.monotonic()
    requests.post(f"{jobs_url(server.url)}/{job['name']}/cancel", timeout=10).raise_for_status()
    done = wait_status(server.url, job["name"], "Canceled", timeout=20)
    took = time.monotonic() - t0
    assert 1.5 <= took < 8, took  # grace is 2 s in this module
    assert done["exit_code"] == 137


def test_cancel_queued_job_never_runs(server):
    compute = unique("one")
    r = requests.post(f"{server.url}/api/v1/workspaces/default/computes",
                      json={"name": compute, "type": "amlcompute", "max_instances": 1}, timeout=10)
    assert r.status_code == 201, r.text
    first = submit(server.url, {"command": "sleep 30", "compute": f"azureml:{compute}"})
    second = submit(server.url, {"command": "touch ran", "compute": compute})
    wait_status(server.url, first["name"], "Running")
    assert get_job(server.url, second["name"])["status"] == "Queued"
    assert run_status(server.url, second["run_id"])["info"]["status"] == "SCHEDULED"
    ok(cli(server.url, "job", "cancel", second["name"]))
    ok(cli(server.url, "job", "cancel", first["name"]))
    assert wait_status(server.url, second["name"], "Canceled")["started_at"] is None
    wait_status(server.url, first["name"], "Canceled")


def test_timeout_stops_the_job(server):
    job = submit(server.url, {"command": "echo start; sleep 60", "limits": {"timeout": 1}})
    done = wait_status(server.url, job["name"], ("Failed",), timeout=20)
    assert "limits.timeout" in done["error"]
    assert 0.9 <= (done["ended_at"] - done["started_at"]) / 1000 < 6


def test_archive_and_restore(server):
    job = submit(server.url, {"command": "true"})
    wait_status(server.url, job["name"], "Completed")
    ok(cli(server.url, "job", "archive", job["name"]))
    names = [j["name"] for j in requests.get(jobs_url(server.url), timeout=10).json()["value"]]
    assert job["name"] not in names
    listed = requests.get(jobs_url(server.url), params={"include_archived": "true"},
                          timeout=10).json()["value"]
    assert any(j["name"] == job["name"] and j["archived"] for j in listed)
    ok(cli(server.url, "job", "restore", job["name"]))
    names = [j["name"] for j in requests.get(jobs_url(server.url), timeout=10).json()["value"]]
    assert job["name"] in names


def test_show_list_json_shapes(server):
    job = submit(server.url, {"command": "echo shape", "name": unique("shape")})
    wait_status(server.url, job["name"], "Completed")
    shown = ok_json(cli(server.url, "-o", "json", "job", "show", job["name"]))
    for key in ("name", "status", "run_id", "experiment_id", "experiment_name", "compute",
                "command", "created_at", "started_at", "ended_at", "exit_code", "error"):
        assert key in shown
    listed = ok_json(cli(server.url, "-o", "json", "job", "list"))["value"]
    assert listed[0]["created_at"] >= listed[-1]["created_at"]  # newest first
    assert ok(cli(server.url, "job", "stream", job["name"])).startswith("shape")
    r = requests.get(f"{jobs_url(server.url)}/{job['name']}/logs", params={"offset": 3},
                     timeout=10).json()
    assert r == {"data": "pe\n", "next_offset": 6, "finished": True}


# ---------------------------------------------------------------------------------------------
# bad input: a clear error before anything runs, and nothing half-created


BAD_SPECS = [
    ("invalid yaml", "command: [unclosed\n", None),
    ("unknown type", "type: magic\ncommand: echo\n", "Unknown job type 'magic'"),
    ("missing command", "environment:\n  image: python\n", "needs a 'command'"),
    ("undeclared input", "command: echo ${{inputs.z}}\ninputs:\n  a: 1\n", "no input named 'z'"),
    ("undeclared output", "command: echo ${{outputs.o}}\n", "no output named 'o'"),
    ("missing code", "command: ls\ncode: nowhere\n", "nowhere"),
    ("missing compute", "command: echo\ncompute: azureml:cpu-cluster\n",
     "Compute 'cpu-cluster' does not exist"),
    ("unknown field", "command: echo\ncomand: typo\n", "comand"),
    ("bad timeout", "command: echo\nlimits:\n  timeout: -1\n", "limits.timeout"),
]


@pytest.mark.parametrize("label,text,message", BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_spec_is_rejected_and_nothing_is_created(server, tmp_path, label, text, message):
    before = requests.get(jobs_url(server.url), params={"include_archived": "true"},
                          timeout=10).json()["value"]
    runs_before = requests.post(f"{server.url}{ML}/runs/search",
                                json={"experiment_ids": ["0"], "max_results": 1000},
                                timeout=10).json().get("runs", [])
    spec = tmp_path / "bad.yml"
    spec.write_text(text)
    proc = cli(server.url, "job", "create", "-f", str(spec))
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.startswith("error: "), proc.stderr
    if message:
        assert message in proc.stderr, proc.stderr
    after = requests.get(jobs_url(server.url), params={"include_archived": "true"},
                         timeout=10).json()["value"]
    assert [j["name"] for j in after] == [j["name"] for j in before]
    runs_after = requests.post(f"{server.url}{ML}/runs/search",
                               json={"experiment_ids": ["0"], "max_results": 1000},
                               timeout=10).json().get("runs", [])
    assert len(runs_after) == len(runs_before)


def test_bad_rest_bodies(server):
    url = jobs_url(server.url)
    assert_error(requests.post(url, data="{", timeout=10), 400, "BAD_REQUEST")
    assert_error(requests.post(url, json=[1], timeout=10), 400, "BAD_REQUEST")
    assert_error(requests.post(url, json={"type": "pipeline", "jobs": {}}, timeout=10), 400,
                 "INVALID_PARAMETER_VALUE", "needs 'jobs'")
    assert_error(requests.post(url, json={"command": "echo", "inputs": {"d": {
        "type": "uri_folder", "path": "azureml:missing-data:1"}}}, timeout=10), 404,
        ("RESOURCE_DOES_NOT_EXIST", "NOT_IMPLEMENTED"))
    assert_error(requests.post(url, json={"command": "echo", "inputs": {"d": {
        "type": "uri_folder", "path": "./local"}}}, timeout=10), 400, "INVALID_PARAMETER_VALUE",
        "must be uploaded first")
    assert_error(requests.get(f"{url}/nope", timeout=10), 404, "RESOURCE_DOES_NOT_EXIST")
    name = unique("dup")
    submit(server.url, {"command": "true", "name": name})
    assert_error(requests.post(url, json={"command": "true", "name": name}, timeout=10), 400,
                 "RESOURCE_ALREADY_EXISTS")
    assert_error(requests.post(url, json={"command": "true", "name": "bad name"}, timeout=10),
                 400, "INVALID_PARAMETER_VALUE", "Invalid name")


def test_deleting_a_workspace_stops_its_jobs(server):
    ws = unique("gone")
    requests.post(f"{server.url}/api/v1/workspaces", json={"name": ws}, timeout=10).raise_for_status()
    r = requests.post(jobs_url(server.url, ws), json={"command": "sleep 60"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    job = wait_status(server.url, r.json()["name"], "Running", ws=ws)
    pid = job["process_id"]
    os.kill(pid, 0)  # running
    assert requests.delete(f"{server.url}/api/v1/workspaces/{ws}", timeout=30).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"job process {pid} still alive after its workspace was deleted")
    assert requests.get(f"{server.url}/api/v1/workspaces/{ws}", timeout=10).status_code == 404
    health = requests.get(f"{server.url}/health", timeout=10)
    assert health.status_code == 200
