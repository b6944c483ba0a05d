"""Self-serve workspaces: a "Workspace Creator" creates workspaces, becomes Owner of each one it
creates (at workspace scope), and cannot touch anyone else's (docs/security.md)."""

import base64

import requests

PASSWORD = "self serve password 1"


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


def call(method, url, headers, body=None):
    return requests.request(method, url, json=body, headers=headers, timeout=30)


def test_workspace_creator_owns_what_it_creates_and_nothing_else(spawn):
    url = spawn().url
    assert call("POST", url + "/api/v1/users", {}, {"name": "admin", "password": PASSWORD}
                ).status_code == 201
    admin = basic("admin")
    for user in ("carol", "dave"):
        assert call("POST", url + "/api/v1/users", admin,
                    {"name": user, "password": PASSWORD}).status_code == 201
    r = call("POST", url + "/api/v1/role-assignments", admin,
             {"user": "carol", "role": "Workspace Creator"})
    assert r.status_code == 201, r.text
    assert call("POST", url + "/api/v1/workspaces", admin, {"name": "admins"}).status_code == 201
    carol = basic("carol")

    # Without the role: refused, nothing created.
    r = call("POST", url + "/api/v1/workspaces", basic("dave"), {"name": "daves"})
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"

    r = call("POST", url + "/api/v1/workspaces", carol, {"name": "carols"})
    assert r.status_code == 201, r.text
    assert r.json()["workspace"]["name"] == "carols"
    # Owner of it, at workspace scope.
    assignments = call("GET", url + "/api/v1/role-assignments", admin).json()["role_assignments"]
    mine = [(a["role"], a["scope"], a.get("workspace")) for a in assignments
            if a.get("user") == "carol"]
    assert ("Owner", "workspace", "carols") in mine, mine
    # ... so it works there: experiments, runs, computes.
    ws = url + "/workspaces/carols/api/2.0/mlflow"
    r = call("POST", ws + "/experiments/create", carol, {"name": "e"})
    assert r.status_code == 200, r.text
    r = call("POST", url + "/api/v1/workspaces/carols/computes", carol,
             {"name": "cpu", "type": "amlcompute", "max_instances": 1})
    assert r.status_code in (200, 201), r.text

    # Others' workspaces stay closed: neither reading nor writing, nor deleting.
    assert call("GET", url + "/api/v1/workspaces/admins", carol).status_code == 403
    r = call("POST", url + "/workspaces/admins/api/2.0/mlflow/experiments/create", carol,
             {"name": "e"})
    assert r.status_code == 403
    assert call("DELETE", url + "/api/v1/workspaces/admins", carol).status_code == 403
    # Not a server-wide Owner: no users, no role assignments.
    assert call("POST", url + "/api/v1/users", carol,
                {"name": "eve", "password": PASSWORD}).status_code == 403
    assert call("POST", url + "/api/v1/role-assignments", carol,
                {"user": "carol", "role": "Owner"}).status_code == 403
    # The admin's own creations add no assignment (an Owner already has full control).
    assignments = call("GET", url + "/api/v1/role-assignments", admin).json()["role_assignments"]
    assert not [a for a in assignments if a.get("workspace") == "admins"]
    # A name in use is a clear error that grants nothing.
    r = call("POST", url + "/api/v1/workspaces", carol, {"name": "admins"})
    assert r.status_code == 409, r.text
    assert call("GET", url + "/api/v1/workspaces/admins", carol).status_code == 403
