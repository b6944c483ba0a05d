"""Workspaces (mlws extension): the same MLflow API under /workspaces/<name>, isolated."""

import uuid

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from conftest import WORKSPACE, error_code, unique_name, workspace_uri


@pytest.fixture
def workspace_clients(server_url, has_workspaces):
    if not has_workspaces:
        pytest.skip("server has no workspace API (POST /api/v1/workspaces -> 404), e.g. MLflow")
    return MlflowClient(tracking_uri=server_url), MlflowClient(
        tracking_uri=workspace_uri(server_url, WORKSPACE)
    )


def all_experiment_ids(client):
    ids, token = set(), None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
        ids.update(e.experiment_id for e in page)
        token = page.token
        if not token:
            return ids


def test_create_workspace(server_url, has_workspaces):
    if not has_workspaces:
        pytest.skip("server has no workspace API (POST /api/v1/workspaces -> 404), e.g. MLflow")
    name = f"ws-{uuid.uuid4().hex[:12]}"
    resp = requests.post(f"{server_url}/api/v1/workspaces", json={"name": name}, timeout=30)
    assert resp.status_code in (200, 201), resp.text
    assert resp.json()["workspace"]["name"] == name

    again = requests.post(f"{server_url}/api/v1/workspaces", json={"name": name}, timeout=30)
    assert 400 <= again.status_code < 500, again.text

    # The new workspace serves the MLflow API and starts out without user experiments.
    client = MlflowClient(tracking_uri=workspace_uri(server_url, name))
    exp_id = client.create_experiment(unique_name("exp"))
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_workspace_isolation(workspace_clients):
    root, ws = workspace_clients
    name = unique_name("shared-name")
    # The same experiment name may exist once per workspace.
    ws_exp = ws.create_experiment(name)
    root_exp = root.create_experiment(name)
    assert ws_exp != root_exp
    assert ws.get_experiment_by_name(name).experiment_id == ws_exp
    assert root.get_experiment_by_name(name).experiment_id == root_exp

    ws_run = ws.create_run(ws_exp).info.run_id
    root_run = root.create_run(root_exp).info.run_id
    assert ws.get_run(ws_run).info.experiment_id == ws_exp
    assert root.get_run(root_run).info.experiment_id == root_exp

    # A run of one workspace is "not found" through the other one, for reads and writes.
    for client, foreign_run in ((root, ws_run), (ws, root_run)):
        with pytest.raises(MlflowException) as e:
            client.get_run(foreign_run)
        assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(MlflowException) as e:
            client.log_param(foreign_run, "p", "1")
        assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(MlflowException) as e:
            client.delete_run(foreign_run)
        assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"

    # Same for experiments.
    for client, foreign_exp in ((root, ws_exp), (ws, root_exp)):
        with pytest.raises(MlflowException) as e:
            client.get_experiment(foreign_exp)
        assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"

    # Experiment listings are disjoint, except that every workspace has its own Default
    # experiment "0" (so a stock client's default experiment works in each workspace).
    root_ids, ws_ids = all_experiment_ids(root), all_experiment_ids(ws)
    assert root_exp in root_ids and ws_exp in ws_ids
    assert "0" in root_ids and "0" in ws_ids
    assert (root_ids - {"0"}).isdisjoint(ws_ids - {"0"})

    # The foreign run did not change.
    assert ws.get_run(ws_run).data.params == {}
    assert ws.get_run(ws_run).info.lifecycle_stage == "active"


def test_search_runs_is_scoped_to_workspace(workspace_clients):
    root, ws = workspace_clients
    ws_exp = ws.create_experiment(unique_name("exp"))
    ws_run = ws.create_run(ws_exp).info.run_id
    ws.log_param(ws_run, "marker", "ws-only")

    assert [r.info.run_id for r in ws.search_runs([ws_exp])] == [ws_run]
    # Through the root URI the foreign experiment has no visible runs (or is an error).
    try:
        found = root.search_runs([ws_exp])
    except MlflowException as e:
        assert e.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
    else:
        assert list(found) == []
