"""Computes: amlcompute specs become local pools of slots; jobs queue FIFO (within priority) when
the slots are busy; busy/idle/queued and node-seconds are reported; cost per job/experiment."""

from __future__ import annotations

import shutil
import time

import pytest
import requests

from conftest import MlwsServer, assert_error, unique
from jobs_util import (COMPUTE_EXAMPLES, GATE, cli, get_job, ok, ok_json, open_gate, submit,
                       wait_status)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-compute")
    srv = MlwsServer(base / "home", log_dir=base, env={"MLWS_JOB_KILL_GRACE_S": "2"})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def computes(url):
    return f"{url}/api/v1/workspaces/default/computes"


def test_example_cluster_specs_create_pools(server, tmp_path):
    for name in ("cluster-basic.yml", "cluster-minimal.yml"):
        shutil.copy(COMPUTE_EXAMPLES / name, tmp_path / name)
        ok(cli(server.url, "compute", "create", "-f", str(tmp_path / name)))
    basic = ok_json(cli(server.url, "-o", "json", "compute", "show", "basic-example"))
    assert basic["type"] == "amlcompute" and basic["min_instances"] == 0
    assert basic["max_instances"] == 2 and basic["idle_time_before_scale_down"] == 120
    assert basic["size"] == "STANDARD_DS3_v2"
    minimal = requests.get(f"{computes(server.url)}/minimal-example", timeout=10).json()
    assert minimal["max_instances"] == 1
    listed = ok_json(cli(server.url, "-o", "json", "compute", "list"))["value"]
    names = [c["name"] for c in listed]
    assert "local" in names and "basic-example" in names
    out = ok(cli(server.url, "compute", "list"))
    assert "BUSY" in out and "QUEUED" in out


def test_one_slot_compute_queues_fifo(server):
    name = unique("one")
    requests.post(computes(server.url), json={"name": name, "type": "amlcompute",
                                              "max_instances": 1}, timeout=10).raise_for_status()
    jobs = [submit(server.url, {"command": f"echo {i}; {GATE}; sleep 0.2",
                                "compute": f"azureml:{name}"}) for i in range(3)]
    wait_status(server.url, jobs[0]["name"], "Running")
    state = requests.get(f"{computes(server.url)}/{name}", timeout=10).json()
    assert state["busy"] == 1 and state["queued"] == 2 and state["idle"] == 0
    assert get_job(server.url, jobs[2]["name"])["status"] == "Queued"
    for j in jobs:  # each waits at its gate until it runs; open them all now
        open_gate(server.url, j)
    done = [wait_status(server.url, j["name"], "Completed", timeout=30) for j in jobs]
    # One at a time, in submission order.
    for a, b in zip(done, done[1:]):
        assert b["started_at"] >= a["ended_at"], (a, b)
    state = requests.get(f"{computes(server.url)}/{name}", timeout=10).json()
    assert state["busy"] == 0 and state["queued"] == 0
    assert state["nodes"] == 1 and state["idle"] == 1  # kept until idle_time_before_scale_down
    assert state["node_seconds"] >= 3 * 0.2


def test_priority_goes_first_then_fifo(server):
    name = unique("prio")
    requests.post(computes(server.url), json={"name": name, "max_instances": 1},
                  timeout=10).raise_for_status()
    blocker = submit(server.url, {"command": GATE, "compute": name})
    wait_status(server.url, blocker["name"], "Running")
    low = submit(server.url, {"command": "true", "compute": name,
                              "queue_settings": {"priority": "low"}})
    mid = submit(server.url, {"command": "true", "compute": name})
    high = submit(server.url, {"command": "true", "compute": name,
                               "queue_settings": {"priority": "high"}})
    open_gate(server.url, blocker)  # all three are queued behind it now
    order = sorted((wait_status(server.url, j["name"], "Completed")["started_at"], j["name"])
                   for j in (low, mid, high))
    assert [n for _, n in order] == [high["name"], mid["name"], low["name"]]


def test_instance_count_uses_nodes_and_is_checked(server):
    name = unique("two")
    requests.post(computes(server.url), json={"name": name, "max_instances": 2},
                  timeout=10).raise_for_status()
    job = submit(server.url, {"command": "sleep 0.3", "compute": name,
                              "resources": {"instance_count": 2}})
    done = wait_status(server.url, job["name"], "Completed")
    assert done["instance_count"] == 2
    assert done["node_seconds"] == pytest.approx(
        2 * (done["ended_at"] - done["started_at"]) / 1000, abs=0.01)
    r = requests.post(f"{server.url}/api/v1/workspaces/default/jobs", json={
        "command": "true", "compute": name, "resources": {"instance_count": 3}}, timeout=10)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "at most 2 nodes")


def test_cost_per_job_and_experiment(server):
    name = unique("paid")
    requests.post(computes(server.url), json={"name": name, "max_instances": 2,
                                              "price_per_node_hour": 3600}, timeout=10)
    exp = unique("costexp")
    jobs = [submit(server.url, {"command": "sleep 0.2", "compute": name,
                                "experiment_name": exp}) for _ in range(2)]
    done = [wait_status(server.url, j["name"], "Completed") for j in jobs]
    for d in done:  # 3600 per node-hour = 1 per node-second
        assert d["cost"] == pytest.approx(d["node_seconds"], rel=1e-3)
    cost = requests.get(f"{server.url}/api/v1/workspaces/default/cost", timeout=10).json()
    assert cost["currency"] == "USD"
    line = next(e for e in cost["by_experiment"] if e["experiment_name"] == exp)
    assert line["cost"] == pytest.approx(sum(d["cost"] for d in done), rel=1e-3)
    by_job = {j["name"]: j for j in cost["by_job"]}
    assert by_job[done[0]["name"]]["node_seconds"] == pytest.approx(done[0]["node_seconds"],
                                                                     abs=0.002)
    assert cost["total"] >= line["cost"]
    out = ok(cli(server.url, "cost", "show"))
    assert exp in out


def test_compute_errors(server):
    url = computes(server.url)
    assert_error(requests.post(url, json={"name": "x", "type": "kubernetes"}, timeout=10), 501,
                 "NOT_IMPLEMENTED", "not supported yet")
    assert_error(requests.post(url, json={"name": "x", "min_instances": 3, "max_instances": 1},
                               timeout=10), 400, "INVALID_PARAMETER_VALUE", "min_instances")
    assert_error(requests.post(url, json={"type": "amlcompute"}, timeout=10), 400,
                 "INVALID_PARAMETER_VALUE", "name")
    assert_error(requests.get(f"{url}/missing", timeout=10), 404, "RESOURCE_DOES_NOT_EXIST")
    name = unique("busy")
    requests.post(url, json={"name": name, "max_instances": 1}, timeout=10).raise_for_status()
    job = submit(server.url, {"command": "sleep 30", "compute": name})
    wait_status(server.url, job["name"], "Running")
    assert_error(requests.delete(f"{url}/{name}", timeout=10), 409, "RESOURCE_CONFLICT",
                 "running")
    requests.post(f"{server.url}/api/v1/workspaces/default/jobs/{job['name']}/cancel",
                  timeout=10).raise_for_status()
    wait_status(server.url, job["name"], "Canceled")
    ok(cli(server.url, "compute", "delete", name))
    assert requests.get(f"{url}/{name}", timeout=10).status_code == 404
