"""The route × role matrix, generated from the server's own route table (`mlws routes`) and checked
over real HTTP: every route, called by anonymous and by a user holding each built-in role at
server scope, is refused (401/403) exactly when the table says so."""

import base64
import json
import re
import subprocess

import pytest
import requests

from conftest import wait_for_binary

PASSWORD = "matrix password 1"

# Values for path parameters: the request must reach the handler (or be refused before it).
PARAMS = {"ws": "default", "name": "nobody", "user": "nobody", "id": "999999",
          "request_id": "tr-none", "version": "1", "run_id": "0" * 32, "hash": "0" * 64,
          "output": "none", "model_id": "m-none", "tag_key": "none", "trace_id": "tr-none",
          "assessment_id": "a-none", "dataset_id": "d-none", "webhook_id": "none",
          "path...": "matrix/file.txt",
          "endpoint": "nobody", "reg": "azureml", "workspace": "default"}


def route_table():
    out = subprocess.run([wait_for_binary(), "-o", "json", "routes"], capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)["routes"]


def concrete(path):
    return re.sub(r"\{([^}]+)\}", lambda m: PARAMS[m.group(1)], path)


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory):
    from conftest import MlwsServer
    base = tmp_path_factory.mktemp("matrix")
    srv = MlwsServer(base / "home", log_dir=base).start()
    url = srv.url
    r = requests.post(url + "/api/v1/users", json={"name": "owner", "password": PASSWORD},
                      timeout=30)
    assert r.status_code == 201, r.text
    roles = [r["name"] for r in requests.get(url + "/api/v1/roles", headers=basic("owner"),
                                             timeout=30).json()["roles"]]
    users = {}
    for i, role in enumerate(roles):
        user = f"user{i}"
        assert requests.post(url + "/api/v1/users", json={"name": user, "password": PASSWORD},
                             headers=basic("owner"), timeout=30).status_code == 201
        assert requests.post(url + "/api/v1/role-assignments",
                             json={"user": user, "role": role}, headers=basic("owner"),
                             timeout=30).status_code == 201
        users[role] = user
    yield url, users
    srv.stop()


ROUTES = route_table()


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r['method']} {r['path']}" for r in ROUTES])
def test_route_is_enforced_for_every_role(matrix_server, route):
    url, users = matrix_server
    target = url + concrete(route["path"])
    body = None if route["method"] in ("GET", "HEAD") else b"{}"
    headers = {"Content-Type": "application/json"}

    anon = requests.request(route["method"], target, data=body, headers=headers, timeout=30)
    if route["public"]:
        assert anon.status_code not in (401, 403), anon.text
    else:
        assert anon.status_code == 401, (route, anon.status_code, anon.text)

    for role, user in users.items():
        r = requests.request(route["method"], target, data=body,
                             headers={**headers, **basic(user)}, timeout=30)
        if route["allowed"][role]:
            assert r.status_code not in (401, 403), (role, route["path"], r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, route["path"], r.status_code, r.text)
            assert r.json()["error_code"] == "PERMISSION_DENIED"
