"""Shared resources (docs/shared-resources.md): a server Owner attaches a compute and datastores
once at server scope and grants them to chosen workspaces; users of a granted workspace see and
use them as their own (jobs on the shared compute, its quota per workspace), an ungranted
workspace gets 404, a shared datastore's credentials stay in the server-scope vault, and a
shared resource in use by a queued or running job cannot be deleted (409)."""

from __future__ import annotations

import time

import pytest

from conftest import MlwsServer, assert_error
from jobs_util import GATE, open_gate, wait_status
from users_util import Env, basic

COMPUTE_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: pool
type: amlcompute
min_instances: 0
max_instances: 2
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-shared")
    srv = MlwsServer(base / "home", log_dir=base)
    srv.start()
    e = Env(srv)
    e.add_users("alice", "bob", "carol", "dave")  # alice, the first, is the server's Owner
    for ws in ("team-a", "team-b", "team-c"):
        assert e.req("POST", "/api/v1/workspaces", json={"name": ws}).status_code == 201
    e.assign("bob", "Owner", workspace="team-a")  # a workspace Owner, not a server one
    e.assign("carol", "AzureML Data Scientist", workspace="team-b")
    e.assign("dave", "AzureML Data Scientist", workspace="team-c")
    spec = base / "pool.yml"
    spec.write_text(COMPUTE_YAML)
    made = e.ok("alice", "compute", "create", "-f", str(spec), "--shared")
    assert made["name"] == "pool" and made["max_instances"] == 2
    folder = base / "home" / "datastores" / "corpus"  # under the server's allowed root
    (folder / "text").mkdir(parents=True)
    (folder / "text" / "a.txt").write_text("shared words\n")
    ds = base / "corpus.yml"
    ds.write_text(f"name: corpus\ntype: local\npath: {folder}\n")
    assert e.ok("alice", "datastore", "create", "-f", str(ds), "--shared")["name"] == "corpus"
    yield e
    assert srv.stop() == 0, srv.stderr()


def computes(env, user, ws):
    r = env.req("GET", f"/api/v1/workspaces/{ws}/computes", user=user)
    assert r.status_code == 200, r.text
    return {c["name"]: c for c in r.json()["value"]}


def test_only_a_server_owner_attaches_and_grants(env, tmp_path):
    spec = tmp_path / "c.yml"
    spec.write_text(COMPUTE_YAML.replace("name: pool", "name: mine"))
    # bob owns team-a, but shared resources are server scope.
    assert "server/sharedResources/write" in env.fails("bob", "compute", "create", "-f",
                                                        str(spec), "--shared")
    r = env.req("PUT", "/api/v1/shared/computes/pool/grants/team-a", user="bob")
    assert_error(r, 403, "PERMISSION_DENIED")
    assert env.req("GET", "/api/v1/shared/computes", user="bob").status_code == 403
    # The shared workspace is not a workspace anyone addresses or lists.
    assert env.req("GET", "/api/v1/workspaces/shared:server/computes").status_code == 404
    names = [w["name"] for w in env.req("GET", "/api/v1/workspaces").json()["workspaces"]]
    assert "shared:server" not in names
    assert env.req("GET", "/api/v1/shared/computes/mine").status_code == 404
    assert env.req("GET", "/api/v1/shared/computes/local").status_code == 404


def test_granted_workspace_sees_it_ungranted_gets_404(env):
    env.ok("alice", "-w", "team-a", "compute", "grant", "pool")
    env.ok("alice", "-w", "team-b", "compute", "grant", "pool")
    env.ok("alice", "-w", "team-a", "compute", "grant", "pool")  # twice is once
    shown = env.ok("alice", "compute", "show", "pool", "--shared")
    assert sorted(g["workspace"] for g in shown["granted_to"]) == ["team-a", "team-b"]
    assert computes(env, "bob", "team-a")["pool"]["shared"] is True
    assert computes(env, "carol", "team-b")["pool"]["max_instances"] == 2
    assert "pool" not in computes(env, "dave", "team-c")
    r = env.req("GET", "/api/v1/workspaces/team-c/computes/pool", user="dave")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = env.req("POST", "/api/v1/workspaces/team-c/jobs", user="dave",
                json={"command": "true", "compute": "azureml:pool"})
    assert r.status_code == 400 and "pool" in r.json()["message"]
    # A granted workspace neither deletes nor replaces the shared compute.
    r = env.req("DELETE", "/api/v1/workspaces/team-a/computes/pool", user="bob")
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "revoke")
    r = env.req("POST", "/api/v1/workspaces/team-a/computes", user="bob",
                json={"name": "pool", "type": "amlcompute", "max_instances": 9})
    assert_error(r, 409, "RESOURCE_CONFLICT")
    assert computes(env, "bob", "team-a")["pool"]["max_instances"] == 2


def test_jobs_share_the_pool_with_a_quota_per_workspace(env):
    env.ok("alice", "-w", "team-a", "compute", "grant", "pool")
    env.ok("alice", "-w", "team-b", "compute", "grant", "pool")
    r = env.req("PUT", "/api/v1/workspaces/team-a/quota",
                json={"computes": {"pool": {"max_nodes": 1}}})
    assert r.status_code == 200, r.text
    spec = {"command": GATE, "compute": "azureml:pool"}
    a1 = env.req("POST", "/api/v1/workspaces/team-a/jobs", user="bob", json=spec).json()
    a2 = env.req("POST", "/api/v1/workspaces/team-a/jobs", user="bob", json=spec).json()
    b1 = env.req("POST", "/api/v1/workspaces/team-b/jobs", user="carol", json=spec).json()
    wait_status(env.url, a1["name"], "Running", "team-a", headers=basic("bob"))
    # team-a's quota holds its second job although the pool has a free node, which team-b's
    # job takes: the quota is per workspace, the pool is shared.
    wait_status(env.url, b1["name"], "Running", "team-b", headers=basic("carol"))
    held = wait_status(env.url, a2["name"], "Queued", "team-a", headers=basic("bob"))
    deadline = time.monotonic() + 30
    while "computes.pool.max_nodes" not in held.get("queue_reason", ""):
        assert time.monotonic() < deadline, held
        time.sleep(0.05)
        held = wait_status(env.url, a2["name"], "Queued", "team-a", headers=basic("bob"))
    shared = env.ok("alice", "compute", "show", "pool", "--shared")
    assert shared["busy"] == 2
    # In use: not deleted, nothing changes.
    r = env.req("DELETE", "/api/v1/shared/computes/pool")
    assert_error(r, 409, "RESOURCE_CONFLICT")
    for job, ws, user in ((a1, "team-a", "bob"), (b1, "team-b", "carol")):
        open_gate(env.url, job, ws, headers=basic(user))
        assert wait_status(env.url, job["name"], ("Completed", "Failed"), ws,
                           headers=basic(user))["status"] == "Completed"
    wait_status(env.url, a2["name"], "Running", "team-a", headers=basic("bob"))
    open_gate(env.url, a2, "team-a", headers=basic("bob"))
    wait_status(env.url, a2["name"], "Completed", "team-a", headers=basic("bob"))


def test_revoke_takes_it_away(env):
    env.ok("alice", "-w", "team-b", "compute", "grant", "pool")
    env.ok("alice", "-w", "team-b", "compute", "revoke", "pool")
    assert "pool" not in computes(env, "carol", "team-b")
    assert env.req("GET", "/api/v1/workspaces/team-b/computes/pool",
                   user="carol").status_code == 404
    r = env.req("DELETE", "/api/v1/shared/computes/pool/grants/team-b")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "not granted")
    r = env.req("PUT", "/api/v1/shared/computes/pool/grants/no-such-ws")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = env.req("PUT", "/api/v1/shared/computes/no-such/grants/team-b")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "no-such")


def test_shared_datastore_is_browsed_and_read_by_jobs(env):
    env.ok("alice", "-w", "team-a", "datastore", "grant", "corpus")
    listed = env.req("GET", "/api/v1/workspaces/team-a/datastores", user="bob").json()["value"]
    assert {"name": "corpus", "shared": True}.items() <= \
        next(d for d in listed if d["name"] == "corpus").items()
    files = env.req("GET", "/api/v1/workspaces/team-a/datastores/corpus/files", user="bob",
                    params={"path": "text"})
    assert files.status_code == 200 and files.json()["files"][0]["path"] == "text/a.txt"
    r = env.req("GET", "/api/v1/workspaces/team-c/datastores/corpus/files", user="dave")
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    spec = {"command": GATE + " && cat ${{inputs.words}}/a.txt",
            "inputs": {"words": {"type": "uri_folder",
                                 "path": "azureml://datastores/corpus/paths/text"}}}
    job = env.req("POST", "/api/v1/workspaces/team-a/jobs", user="bob", json=spec)
    assert job.status_code == 201, job.text
    job = job.json()
    wait_status(env.url, job["name"], "Running", "team-a", headers=basic("bob"))
    r = env.req("DELETE", "/api/v1/shared/datastores/corpus")
    assert_error(r, 409, "RESOURCE_CONFLICT", job["name"])
    open_gate(env.url, job, "team-a", headers=basic("bob"))
    done = wait_status(env.url, job["name"], ("Completed", "Failed"), "team-a",
                       headers=basic("bob"))
    assert done["status"] == "Completed", done
    logs = env.req("GET", f"/api/v1/workspaces/team-a/jobs/{job['name']}/logs", user="bob")
    assert "shared words" in logs.json()["data"]
    assert env.req("DELETE", "/api/v1/shared/datastores/corpus").status_code == 200
    listed = env.req("GET", "/api/v1/workspaces/team-a/datastores", user="bob").json()["value"]
    assert "corpus" not in [d["name"] for d in listed]


def test_shared_datastore_credentials_stay_in_the_server_vault(env):
    r = env.req("PUT", "/api/v1/shared/secrets/s3-keys",
                json={"value": '{"access_key_id": "AKIA", "secret_access_key": "hush-hush"}'})
    assert r.status_code == 200, r.text
    r = env.req("POST", "/api/v1/shared/datastores",
                json={"name": "lake", "type": "s3", "bucket": "lake",
                      "endpoint_url": "http://127.0.0.1:9", "credentials_secret": "s3-keys"})
    assert r.status_code in (200, 201), r.text
    env.ok("alice", "-w", "team-a", "datastore", "grant", "lake")
    shown = env.req("GET", "/api/v1/workspaces/team-a/datastores/lake", user="bob")
    assert shown.status_code == 200 and shown.json()["shared"] is True
    assert "hush-hush" not in shown.text
    # The workspace's vault does not hold it, and the shared vault has no read route.
    assert env.req("GET", "/api/v1/workspaces/team-a/secrets/s3-keys",
                   user="bob").status_code == 404
    assert "s3-keys" not in env.req("GET", "/api/v1/workspaces/team-a/secrets", user="bob").text
    assert env.req("GET", "/api/v1/shared/secrets/s3-keys").status_code in (404, 405)
    names = [s["name"] for s in env.req("GET", "/api/v1/shared/secrets").json()["secrets"]]
    assert names == ["s3-keys"]
    # The workspace's datastore routes sign with it: the (unreachable) endpoint is reached for.
    r = env.req("GET", "/api/v1/workspaces/team-a/datastores/lake/files", user="bob")
    assert r.status_code == 400 and "hush-hush" not in r.text, r.text
