"""Workspace quotas (docs/quotas.md) against the real server: a job over a node quota waits
(Queued, with the reason in `mlws job show`) or is refused at submit naming the quota; a spent
monthly budget holds or refuses jobs until it is raised; bad quota values are 400 and change
nothing; only Owners may set a quota."""

from __future__ import annotations

import base64
import time

import pytest
import requests

import mlws
from conftest import MlwsServer, assert_error, unique
from jobs_util import GATE, cli, get_job, jobs_url, ok, ok_json, open_gate, submit, wait_status


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-quotas")
    srv = MlwsServer(base / "home", log_dir=base, env={"MLWS_LOCAL_SLOTS": "8"})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def workspace(url: str) -> str:
    name = unique("q")
    r = requests.post(f"{url}/api/v1/workspaces", json={"name": name}, timeout=10)
    assert r.status_code == 201, r.text
    return name


def quota_url(url: str, ws: str) -> str:
    return f"{url}/api/v1/workspaces/{ws}/quota"


def set_quota(url: str, ws: str, spec: dict) -> dict:
    r = requests.put(quota_url(url, ws), json=spec, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def wait_reason(url: str, name: str, ws: str, part: str) -> dict:
    """The job once the scheduler has given it a queue_reason containing `part`."""
    job = wait_status(url, name, "Queued", ws)
    deadline = time.monotonic() + 30
    while "queue_reason" not in job or part not in job["queue_reason"]:
        assert job["status"] == "Queued", job
        assert time.monotonic() < deadline, f"no queue_reason with {part!r}: {job}"
        time.sleep(0.05)
        job = get_job(url, name, ws)
    return job


def test_job_over_node_quota_waits_with_the_reason_shown(server):
    url, ws = server.url, workspace(server.url)
    shown = set_quota(url, ws, {"computes": {"local": {"max_nodes": 1}}})
    assert shown["on_exceed"] == "wait"
    assert shown["computes"] == [{"compute": "local", "max_nodes": 1, "nodes_in_use": 0}]
    holder = submit(url, {"command": GATE}, ws)
    wait_status(url, holder["name"], "Running", ws)
    waiting = submit(url, {"command": "echo second"}, ws)
    job = wait_reason(url, waiting["name"], ws, "computes.local.max_nodes")
    assert "at most 1 nodes of compute 'local'" in job["queue_reason"]
    # What `mlws job show` and `mlws quota show` print.
    show = ok(cli(url, "job", "show", waiting["name"], "-w", ws))
    assert "status: Queued" in show and "queue_reason: Waiting for quota computes.local" in show
    q = ok_json(cli(url, "-o", "json", "quota", "show", "-w", ws))
    assert q["computes"][0]["nodes_in_use"] == 1
    assert mlws.MLClient(url, ws).jobs.get(waiting["name"]).queue_reason == job["queue_reason"]
    # The first job ends: the second starts, and its reason is gone.
    open_gate(url, holder, ws)
    done = wait_status(url, waiting["name"], ("Completed", "Failed"), ws)
    assert done["status"] == "Completed" and "queue_reason" not in done


def test_job_over_node_quota_is_refused_when_the_spec_says_refuse(server):
    url, ws = server.url, workspace(server.url)
    out = ok(cli(url, "quota", "set", "-w", ws, "--max-nodes", "local=1", "--on-exceed", "refuse"))
    assert "on_exceed: refuse" in out
    holder = submit(url, {"command": GATE}, ws)
    wait_status(url, holder["name"], "Running", ws)
    names = lambda: [j["name"] for j in requests.get(jobs_url(url, ws), timeout=10).json()["value"]]  # noqa: E731
    before = names()
    r = requests.post(jobs_url(url, ws), json={"command": "echo no", "name": "refused-job"},
                      timeout=10)
    assert_error(r, 413, "RESOURCE_EXHAUSTED", "computes.local.max_nodes", "on_exceed: refuse")
    assert requests.get(f"{jobs_url(url, ws)}/refused-job", timeout=10).status_code == 404
    assert names() == before
    # The SDK raises it as QuotaExceededError.
    with pytest.raises(mlws.QuotaExceededError) as e:
        mlws.MLClient(url, ws).jobs.create_or_update(mlws.command(command="echo sdk"))
    assert e.value.error_code == "RESOURCE_EXHAUSTED" and "max_nodes" in e.value.message
    open_gate(url, holder, ws)
    wait_status(url, holder["name"], "Completed", ws)
    # Nodes free again: admitted.
    assert submit(url, {"command": "true"}, ws)["status"] in ("Queued", "Running", "Completed")


def test_a_job_bigger_than_the_quota_is_refused_even_with_wait(server):
    url, ws = server.url, workspace(server.url)
    set_quota(url, ws, {"computes": {"local": {"max_nodes": 2}}, "on_exceed": "wait"})
    r = requests.post(jobs_url(url, ws), json={"command": "true",
                                               "resources": {"instance_count": 3}}, timeout=10)
    assert_error(r, 413, "RESOURCE_EXHAUSTED", "computes.local.max_nodes", "needs 3 nodes")
    assert requests.get(jobs_url(url, ws), timeout=10).json()["value"] == []


def test_spent_budget_holds_jobs_until_raised_or_refuses_them(server):
    url, ws = server.url, workspace(server.url)
    # 3600 per node-hour: one unit per node-second, so any job spends more than the budget.
    r = requests.post(f"{url}/api/v1/workspaces/{ws}/computes", timeout=10,
                      json={"name": "paid", "type": "amlcompute", "max_instances": 2,
                            "price_per_node_hour": 3600})
    assert r.status_code == 201, r.text
    first = submit(url, {"command": "true", "compute": "paid"}, ws)
    wait_status(url, first["name"], "Completed", ws)
    q = set_quota(url, ws, {"budget": {"max_cost": 0.000001}})
    assert q["budget"]["spent_cost"] > 0.000001 and q["budget"]["max_cost"] == 0.000001
    held = submit(url, {"command": "true", "compute": "paid"}, ws)
    job = wait_reason(url, held["name"], ws, "budget.max_cost")
    assert "monthly budget" in job["queue_reason"]
    mlws.MLClient(url, ws).quota.set({"budget": {"max_cost": 1e9}})  # raised: it starts
    assert wait_status(url, held["name"], ("Completed", "Failed"), ws)["status"] == "Completed"
    set_quota(url, ws, {"budget": {"max_node_hours": 1e-9}, "on_exceed": "refuse"})
    r = requests.post(jobs_url(url, ws), json={"command": "true", "compute": "paid"}, timeout=10)
    assert_error(r, 413, "RESOURCE_EXHAUSTED", "budget.max_node_hours")
    # Removing the quota (an empty spec) lifts every limit.
    cleared = set_quota(url, ws, {})
    assert cleared["computes"] == [] and cleared["budget"]["max_node_hours"] is None
    assert submit(url, {"command": "true", "compute": "paid"}, ws)


@pytest.mark.parametrize("spec,part", [
    ({"computes": {"local": {"max_nodes": 0}}}, "computes.local.max_nodes"),
    ({"computes": {"local": {"max_nodes": -1}}}, "computes.local.max_nodes"),
    ({"computes": {"local": {"max_nodes": 2.5}}}, "integer"),
    ({"computes": {"local": {"max_nodes": "two"}}}, "integer"),
    ({"computes": {"local": {"max_nodes": 10 ** 9}}}, "100000"),
    ({"computes": {"no such!": {"max_nodes": 1}}}, "no such!"),
    ({"budget": {"max_cost": -5}}, "budget.max_cost"),
    ({"budget": {"max_cost": 0}}, "budget.max_cost"),
    ({"budget": {"max_node_hours": "lots"}}, "budget.max_node_hours"),
    ({"budget": {"period": "year"}}, "period"),
    ({"on_exceed": "shout"}, "on_exceed"),
    ({"nodes": 3}, "unknown field 'nodes'"),
    ([1, 2], "object"),
])
def test_bad_quota_values_are_400_and_change_nothing(server, spec, part):
    url, ws = server.url, "default"
    good = {"computes": {"local": {"max_nodes": 7}}, "budget": {"max_cost": 5}}
    before = set_quota(url, ws, good)
    r = requests.put(quota_url(url, ws), json=spec, timeout=10)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", part)
    after = requests.get(quota_url(url, ws), timeout=10).json()
    assert after["computes"] == before["computes"] and after["budget"] == before["budget"]
    set_quota(url, ws, {})


def test_bad_quota_values_from_the_cli(server):
    proc = cli(server.url, "quota", "set", "--max-nodes", "local=0")
    assert proc.returncode == 1 and "computes.local.max_nodes" in proc.stderr
    proc = cli(server.url, "quota", "set", "--max-cost", "cheap")
    assert proc.returncode == 1 and "--max-cost must be a number" in proc.stderr
    proc = cli(server.url, "quota", "set", "--max-nodes", "local")
    assert proc.returncode == 1 and "COMPUTE=N" in proc.stderr
    assert requests.put(quota_url(server.url, "nope"), json={}, timeout=10).status_code == 404


def test_only_owners_set_quotas(spawn):
    srv = spawn()
    url, pw = srv.url, "correct horse battery"

    def basic(user):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}

    for user in ("olga", "carl"):
        r = requests.post(f"{url}/api/v1/users", json={"name": user, "password": pw},
                          headers=basic("olga") if user != "olga" else None, timeout=10)
        assert r.status_code == 201, r.text
    r = requests.post(f"{url}/api/v1/role-assignments", headers=basic("olga"), timeout=10,
                      json={"user": "carl", "role": "Contributor", "workspace": "default"})
    assert r.status_code == 201, r.text
    spec = {"computes": {"local": {"max_nodes": 1}}}
    r = requests.put(quota_url(url, "default"), json=spec, headers=basic("carl"), timeout=10)
    assert_error(r, 403, "PERMISSION_DENIED")
    assert requests.get(quota_url(url, "default"), headers=basic("carl"),
                        timeout=10).json()["computes"] == []
    r = requests.put(quota_url(url, "default"), json=spec, headers=basic("olga"), timeout=10)
    assert r.status_code == 200 and r.json()["updated_by"] == "olga"
