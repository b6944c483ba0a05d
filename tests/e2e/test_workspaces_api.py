"""The workspaces REST API (/api/v1/workspaces) and the isolation of MLflow data between
workspaces (/workspaces/<ws>/api/2.0/mlflow/... vs the root = workspace "default")."""

from __future__ import annotations

import pytest
import requests

from conftest import ARTIFACTS, Api, assert_error, now_ms, strict_json, unique

WS = "/api/v1/workspaces"
IPV = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
EXISTS = ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS")


def ws_names(url: str) -> list[str]:
    r = requests.get(url + WS, timeout=10)
    assert r.status_code == 200, r.text
    body = strict_json(r)
    assert set(body) == {"workspaces"}, body
    return [w["name"] for w in body["workspaces"]]


def create_ws(url: str, name: str, description: str | None = None) -> dict:
    body = {"name": name}
    if description is not None:
        body["description"] = description
    r = requests.post(url + WS, json=body, timeout=10)
    assert r.status_code == 201, r.text
    return strict_json(r)["workspace"]


# ---------------------------------------------------------------------------------------------
# CRUD
# ---------------------------------------------------------------------------------------------


def test_create_get_list_delete(server):
    url, name = server.url, unique("crud")
    t0 = now_ms()
    r = requests.post(url + WS, json={"name": name, "description": "team of two"}, timeout=10)
    t1 = now_ms()
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    created = strict_json(r)
    assert set(created) == {"workspace"}
    ws = created["workspace"]
    assert ws["name"] == name and ws["description"] == "team of two"
    assert isinstance(ws["creation_time"], int) and t0 - 1000 <= ws["creation_time"] <= t1 + 1000

    got = requests.get(f"{url}{WS}/{name}", timeout=10)
    assert got.status_code == 200 and strict_json(got) == {"workspace": ws}

    listed = strict_json(requests.get(url + WS, timeout=10))["workspaces"]
    assert ws in listed
    assert "default" in [w["name"] for w in listed]

    d = requests.delete(f"{url}{WS}/{name}", timeout=10)
    assert d.status_code == 200 and strict_json(d) == {}
    assert_error(requests.get(f"{url}{WS}/{name}", timeout=10), 404, NOT_FOUND)
    assert name not in ws_names(url)
    # Deleting again: it is gone.
    assert_error(requests.delete(f"{url}{WS}/{name}", timeout=10), 404, NOT_FOUND)


def test_default_workspace_exists(server):
    r = requests.get(f"{server.url}{WS}/default", timeout=10)
    assert r.status_code == 200
    assert strict_json(r)["workspace"]["name"] == "default"


def test_description_is_optional(server):
    ws = create_ws(server.url, unique("nodesc"))
    assert ws.get("description", "") == ""


def test_duplicate_is_409(server):
    name = unique("dup")
    first = create_ws(server.url, name, "first")
    r = requests.post(server.url + WS, json={"name": name, "description": "second"}, timeout=10)
    assert_error(r, 409, EXISTS, name)
    # The original is untouched.
    got = strict_json(requests.get(f"{server.url}{WS}/{name}", timeout=10))["workspace"]
    assert got == first
    assert ws_names(server.url).count(name) == 1
    assert_error(requests.post(server.url + WS, json={"name": "default"}, timeout=10), 409,
                 EXISTS)


INVALID_NAMES = ["", "A", "Upper", "team A", "-lead", "_lead", "a" * 65, "dot.name",
                 "slash/x", "ünïcode", "semi;colon", "a!", "tab\tname", "emoji-\U0001F600"]


@pytest.mark.parametrize("name", INVALID_NAMES, ids=[repr(n)[:20] for n in INVALID_NAMES])
def test_invalid_names_400(server, name):
    before = ws_names(server.url)
    r = requests.post(server.url + WS, json={"name": name}, timeout=10)
    assert_error(r, 400, IPV)
    assert ws_names(server.url) == before


def test_name_wrong_type_and_missing(server):
    before = ws_names(server.url)
    assert_error(requests.post(server.url + WS, json={"name": 7}, timeout=10), 400, IPV, "name")
    assert_error(requests.post(server.url + WS, json={}, timeout=10), 400, IPV, "name")
    assert_error(requests.post(server.url + WS, json={"description": "x"}, timeout=10), 400,
                 IPV, "name")
    r = requests.post(server.url + WS, data="{nope", timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_error(r, 400, ("BAD_REQUEST", IPV))
    assert ws_names(server.url) == before


@pytest.mark.parametrize("name", ["a" * 64, "0abc", "a-b_c", "x", "9"])
def test_valid_name_boundaries(server, name):
    ws = create_ws(server.url, name)
    assert ws["name"] == name
    assert requests.delete(f"{server.url}{WS}/{name}", timeout=10).status_code == 200


def test_delete_default_is_400(server):
    assert_error(requests.delete(f"{server.url}{WS}/default", timeout=10), 400,
                 (IPV, "BAD_REQUEST"))
    assert "default" in ws_names(server.url)
    # The default workspace still serves MLflow requests.
    r = requests.get(f"{server.url}/api/2.0/mlflow/experiments/get",
                     params={"experiment_id": "0"}, timeout=10)
    assert r.status_code == 200


def test_unknown_workspace_404(server):
    ghost = unique("ghost")
    assert_error(requests.get(f"{server.url}{WS}/{ghost}", timeout=10), 404, NOT_FOUND)
    assert_error(requests.delete(f"{server.url}{WS}/{ghost}", timeout=10), 404, NOT_FOUND)
    api = Api(server.url, ghost)
    assert_error(api.post("/experiments/search", {}), 404, NOT_FOUND)
    assert_error(api.post("/experiments/create", {"name": "x"}), 404, NOT_FOUND)
    assert_error(api.post("/runs/create", {"experiment_id": "0"}), 404, NOT_FOUND)
    assert_error(api.get("/experiments/get", {"experiment_id": "0"}), 404, NOT_FOUND)
    assert ghost not in ws_names(server.url)


# ---------------------------------------------------------------------------------------------
# isolation
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_workspaces(server):
    a, b = unique("wsa"), unique("wsb")
    create_ws(server.url, a)
    create_ws(server.url, b)
    return a, b


def test_each_workspace_has_its_own_default_experiment(server, two_workspaces):
    for ws in [*two_workspaces, None, "default"]:
        exp = Api(server.url, ws).ok(Api(server.url, ws).get("/experiments/get",
                                                             {"experiment_id": "0"}))
        assert exp["experiment"]["experiment_id"] == "0"
        assert exp["experiment"]["name"] == "Default"


def test_runs_isolated(server, two_workspaces):
    a, b = two_workspaces
    api_a, api_b, root = Api(server.url, a), Api(server.url, b), Api(server.url)
    exp_a = api_a.create_experiment(unique("iso"))
    run_a = api_a.create_run(exp_a, run_name="in-a")
    api_a.log_batch(run_a, metrics=[{"key": "acc", "value": 0.9, "timestamp": 1, "step": 0}],
                    params=[{"key": "lr", "value": "0.1"}])
    run_a0 = api_a.create_run("0", run_name="in-a-default")

    assert api_a.get_run(run_a)["info"]["experiment_id"] == exp_a
    for other in (api_b, root, Api(server.url, "default")):
        for rid in (run_a, run_a0):
            assert_error(other.get("/runs/get", {"run_id": rid}), 404, NOT_FOUND)
            assert_error(other.get("/metrics/get-history", {"run_id": rid, "metric_key": "acc"}),
                         404, NOT_FOUND)
            # Writes through another workspace are refused and change nothing.
            assert_error(other.post("/runs/log-metric", {"run_id": rid, "key": "acc",
                                                         "value": 0.1, "timestamp": 2}),
                         404, NOT_FOUND)
            assert_error(other.post("/runs/set-tag", {"run_id": rid, "key": "x", "value": "y"}),
                         404, NOT_FOUND)
            assert_error(other.post("/runs/delete", {"run_id": rid}), 404, NOT_FOUND)
        assert_error(other.get("/experiments/get", {"experiment_id": exp_a}), 404, NOT_FOUND)
        assert_error(other.post("/runs/create", {"experiment_id": exp_a}), 404, NOT_FOUND)
        assert_error(other.post("/experiments/delete", {"experiment_id": exp_a}), 404, NOT_FOUND)
        # Searching the Default experiment "0" elsewhere does not find A's run in A's "0".
        found = [r["info"]["run_id"] for r in other.runs(["0"])]
        assert run_a0 not in found
    run = api_a.get_run(run_a)
    assert run["info"]["lifecycle_stage"] == "active"
    assert [(m["key"], m["value"]) for m in run["data"]["metrics"]] == [("acc", 0.9)]
    assert "x" not in {t["key"] for t in run["data"].get("tags", [])}
    assert api_a.get_run(run_a0)["info"]["lifecycle_stage"] == "active"
    assert api_a.ok(api_a.get("/experiments/get", {"experiment_id": exp_a}))[
        "experiment"]["lifecycle_stage"] == "active"
    assert run_a0 in [r["info"]["run_id"] for r in api_a.runs(["0"])]


def test_experiments_listed_disjoint(server, two_workspaces):
    a, b = two_workspaces
    apis = {"a": Api(server.url, a), "b": Api(server.url, b), "root": Api(server.url)}
    created = {k: {api.create_experiment(unique(f"list-{k}")) for _ in range(3)}
               for k, api in apis.items()}
    # The same name in two workspaces is allowed (names are per workspace).
    shared = unique("shared")
    created["a"].add(apis["a"].create_experiment(shared))
    created["b"].add(apis["b"].create_experiment(shared))
    listed = {k: {e["experiment_id"] for e in api.experiments()} for k, api in apis.items()}
    for k in apis:
        assert created[k] <= listed[k]
        assert "0" in listed[k]
    ids = {k: v - {"0"} for k, v in listed.items()}
    assert not ids["a"] & ids["b"]
    assert not ids["a"] & ids["root"]
    assert not ids["b"] & ids["root"]
    # /workspaces/default is the root.
    assert {e["experiment_id"] for e in Api(server.url, "default").experiments()} == \
        listed["root"]
    # get-by-name resolves per workspace.
    ea = apis["a"].ok(apis["a"].get("/experiments/get-by-name", {"experiment_name": shared}))
    eb = apis["b"].ok(apis["b"].get("/experiments/get-by-name", {"experiment_name": shared}))
    assert ea["experiment"]["experiment_id"] != eb["experiment"]["experiment_id"]
    assert_error(apis["root"].get("/experiments/get-by-name", {"experiment_name": shared}),
                 404, NOT_FOUND)


def test_duplicate_experiment_name_within_workspace(server, two_workspaces):
    api = Api(server.url, two_workspaces[0])
    name = unique("twice")
    api.create_experiment(name)
    assert_error(api.post("/experiments/create", {"name": name}), 400,
                 "RESOURCE_ALREADY_EXISTS")


def test_search_runs_across_workspaces(server, two_workspaces):
    a, b = two_workspaces
    api_a, api_b = Api(server.url, a), Api(server.url, b)
    exp_a = api_a.create_experiment(unique("sr"))
    ra = api_a.create_run(exp_a)
    # Asking B for A's experiment id finds nothing of A's.
    r = api_b.post("/runs/search", {"experiment_ids": [exp_a]})
    assert r.status_code in (200, 404), r.text
    if r.status_code == 200:
        assert ra not in [x["info"]["run_id"] for x in strict_json(r).get("runs", [])]
    assert [x["info"]["run_id"] for x in api_a.runs([exp_a])] == [ra]


def test_delete_workspace_removes_its_data(server):
    url = server.url
    name = unique("gone")
    create_ws(url, name)
    api = Api(url, name)
    exp_name = unique("doomed")
    exp = api.create_experiment(exp_name)
    run = api.create_run(exp)
    run0 = api.create_run("0")
    api.log_batch(run, metrics=[{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}],
                  params=[{"key": "p", "value": "v"}])
    tr = api.ok(api.post("/traces", {"experiment_id": exp, "timestamp_ms": now_ms()}))
    trace_id = tr["trace_info"]["request_id"]
    assert requests.put(f"{url}/workspaces/{name}{ARTIFACTS}/{exp}/f.txt", data=b"bye",
                        timeout=10).status_code == 200
    # A root experiment that must survive.
    root = Api(url)
    keep = root.create_experiment(unique("keep"))

    d = requests.delete(f"{url}{WS}/{name}", timeout=10)
    assert d.status_code == 200, d.text
    assert_error(api.get("/experiments/get", {"experiment_id": exp}), 404, NOT_FOUND)
    assert_error(api.get("/runs/get", {"run_id": run}), 404, NOT_FOUND)

    create_ws(url, name)  # a new workspace with the same name starts empty
    assert_error(api.get("/experiments/get", {"experiment_id": exp}), 404, NOT_FOUND)
    assert_error(api.get("/runs/get", {"run_id": run}), 404, NOT_FOUND)
    assert_error(api.get("/runs/get", {"run_id": run0}), 404, NOT_FOUND)
    assert_error(api.get("/metrics/get-history", {"run_id": run, "metric_key": "m"}), 404,
                 NOT_FOUND)
    assert_error(api.get(f"/traces/{trace_id}/info"), 404, NOT_FOUND)
    assert [e["experiment_id"] for e in api.experiments()] == ["0"]
    assert api.runs(["0", exp]) == []
    listing = requests.get(f"{url}/workspaces/{name}{ARTIFACTS}", params={"path": exp},
                           timeout=10)
    assert listing.status_code == 200 and strict_json(listing) == {}
    assert_error(requests.get(f"{url}/workspaces/{name}{ARTIFACTS}/{exp}/f.txt", timeout=10),
                 404, NOT_FOUND)
    # Nothing leaked into the root, and the root's data is intact.
    assert_error(root.get("/runs/get", {"run_id": run}), 404, NOT_FOUND)
    assert root.ok(root.get("/experiments/get", {"experiment_id": keep}))
    # The old experiment name is free again in the re-created workspace.
    assert api.create_experiment(exp_name) != exp
