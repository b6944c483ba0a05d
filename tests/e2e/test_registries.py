"""Registries over the CLI and REST: Azure ML's registry YAML (unmodified), the built-in
`azureml` registry, assets created in and shared into a registry by one user and used from
another workspace by another, registry-scope permissions (AzureML Registry User), and bad input
that changes nothing (sharing an existing version, unknown and unreadable registries)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import MlwsServer, unique
from jobs_util import wait_status
from users_util import Env, basic
from mlws_testkit import artifacts

# The S3 artifact mode (MLWS_TEST_ARTIFACTS=s3): a server limitation, not a test one.
pytestmark = artifacts.local_only(
    'registries keep their asset files in a local store; sharing files that are in a '
    'bucket is refused (docs/scale-out.md)')

DATA = Path(__file__).resolve().parents[1] / "data" / "azureml" / "cli"
REGISTRY_YAML = DATA / "resources" / "registry"
ASSETS = DATA / "assets"
REG = "DemoRegistry"  # registry.yml's name


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-registries")
    srv = MlwsServer(base / "home", log_dir=base)
    srv.start()
    e = Env(srv)
    e.add_users("alice", "bob", "carol", "dave")  # alice, the first, is the server's Owner
    for ws in ("team-a", "team-b"):
        assert e.req("POST", "/api/v1/workspaces", json={"name": ws}).status_code in (200, 201)
    # bob works in team-a, carol and dave in team-b.
    e.assign("bob", "AzureML Data Scientist", workspace="team-a")
    e.assign("carol", "AzureML Data Scientist", workspace="team-b")
    e.assign("dave", "AzureML Data Scientist", workspace="team-b")
    reg = e.ok("alice", "registry", "create", "-f", str(REGISTRY_YAML / "registry.yml"))
    assert reg["name"] == REG
    e.assign("bob", "Contributor", registry=REG)  # may create and share
    e.assign("carol", "AzureML Registry User", registry=REG)  # may read and use
    yield e
    assert srv.stop() == 0, srv.stderr()


def registry_files(env) -> list[Path]:
    return sorted(p for p in (Path(env.srv.home) / "artifacts").glob("*/datastores/*/**/*")
                  if p.is_file())


def ref(kind, name, version):
    return f"azureml://registries/{REG}/{kind}/{name}/versions/{version}"


def resolve(env, user, ws, kind, reference):
    return env.req("GET", f"/api/v1/workspaces/{ws}/{kind}", user=user,
                   params={"reference": reference})


def test_registry_yaml_is_recorded_and_listed(env):
    shown = env.ok("alice", "registry", "show", REG)
    assert shown["location"] == "eastus"
    assert shown["replication_locations"] == ["eastus", "eastus2", "westus", "westus2"]
    assert shown["tags"]["foo"] == "bar"
    other = env.ok("alice", "registry", "create", "-f",
                   str(REGISTRY_YAML / "registry-storage-options.yml"))
    assert other["replication_locations"] == ["eastus", "eastus2", "westus"]
    names = [r["name"] for r in env.ok("alice", "registry", "list")["value"]]
    assert {"azureml", REG, "DemoRegistry2"} <= set(names)
    # carol may read DemoRegistry only (and the public built-in one).
    assert sorted(r["name"] for r in env.ok("carol", "registry", "list")["value"]) == [
        "DemoRegistry", "azureml"]
    # The template's placeholders are taken as they are once it is given a name.
    demo = env.ok("alice", "registry", "create", "-f", str(REGISTRY_YAML / "registry-demo.yml"),
                  "--name", "demo-template")
    assert demo["location"] == "<LOCATION>" and demo["replication_locations"] == ["<LOCATION>"]
    env.ok("alice", "registry", "delete", "demo-template")
    env.ok("alice", "registry", "delete", "DemoRegistry2")
    assert "does not exist" in env.fails("alice", "registry", "show", "DemoRegistry2")
    # The registry's asset workspace is not a workspace anyone sees or addresses.
    ws = [w["name"] for w in env.req("GET", "/api/v1/workspaces").json()["workspaces"]]
    assert not any(w.startswith("registry:") for w in ws)
    assert env.req("GET", f"/api/v1/workspaces/registry:{REG}/models").status_code == 404


def test_builtin_registry_is_an_ordinary_registry(env):
    azureml = env.ok("alice", "registry", "show", "azureml")
    assert azureml["builtin"] is True
    envs = env.ok("alice", "environment", "list", "--registry-name", "azureml")["value"]
    assert {"sklearn-1.5", "minimal-py-cpu"} <= {e["name"] for e in envs}
    for reference in ("azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                      "azureml:AzureML-sklearn-1.5@latest"):
        r = resolve(env, "dave", "team-b", "environments", reference)
        assert r.status_code == 200, r.text
        assert r.json()["value"][0]["name"] == "sklearn-1.5"
    assert "built-in" in env.fails("alice", "registry", "delete", "azureml")


@pytest.fixture(scope="module")
def shared(env, tmp_path_factory):
    """bob creates one asset of each kind in team-a and shares it into the registry."""
    out = {}
    data = env.ok("bob", "-w", "team-a", "data", "create", "-f",
                  str(ASSETS / "data" / "local-folder.yml"), "--name", "iris-a")
    model = env.ok("bob", "-w", "team-a", "model", "create", "-f",
                   str(ASSETS / "model" / "local-file.yml"), "--name", "clf-a")
    envir = env.ok("bob", "-w", "team-a", "environment", "create", "-f",
                   str(ASSETS / "environment" / "docker-image-plus-conda.yaml"), "--name",
                   "pydata-a")
    folder = tmp_path_factory.mktemp("component")
    (folder / "src").mkdir()
    (folder / "src" / "run.sh").write_text('echo "$1" > "$2/out.txt"\n')
    (folder / "component.yml").write_text(textwrap.dedent("""\
        $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
        type: command
        name: hello_python_world
        version: 1
        code: ./src
        environment:
          image: python
        inputs:
          word: {type: string}
        outputs:
          o: {type: uri_folder}
        command: bash run.sh ${{inputs.word}} ${{outputs.o}}
        """))
    comp = env.ok("bob", "-w", "team-a", "component", "create", "-f",
                  str(folder / "component.yml"))
    for kind, a, new in (("data", data, "iris"), ("model", model, "clf"),
                         ("environment", envir, "pydata"), ("component", comp, "hello_shared")):
        out[kind] = env.ok("bob", "-w", "team-a", kind, "share", "--name", a["name"],
                           "--version", a["version"], "--registry-name", REG,
                           "--share-with-name", new, "--share-with-version", "3")
        out[kind]["source"] = a
    return out


@pytest.mark.parametrize("kind,coll", [("data", "data"), ("model", "models"),
                                       ("environment", "environments"),
                                       ("component", "components")])
def test_each_kind_is_shared_and_used_from_another_workspace(env, shared, kind, coll):
    s = shared[kind]
    assert s["version"] == "3"
    props = s["properties"]
    assert props["azureml.sharedFrom.workspace"] == "team-a"
    assert props["azureml.sharedFrom.name"] == s["source"]["name"]
    # carol, in team-b, sees it in the registry and resolves it by reference.
    listed = env.ok("carol", kind, "list", "--registry-name", REG)["value"]
    assert s["name"] in {a["name"] for a in listed}
    for reference in (ref(coll, s["name"], "3"),
                      f"azureml://registries/{REG}/{coll}/{s['name']}/labels/latest"):
        r = resolve(env, "carol", "team-b", coll, reference)
        assert r.status_code == 200, r.text
        got = r.json()["value"][0]
        assert (got["name"], got["version"]) == (s["name"], "3")
    if kind in ("data", "model"):
        # The bytes were copied into the registry's storage: the path names the registry.
        assert got["path"].startswith(f"azureml://datastores/registry:{REG}/paths/LocalUpload/")
        assert got["content_hash"] == s["source"]["content_hash"]
    # dave (team-b, no role on the registry) may not read it.
    r = resolve(env, "dave", "team-b", coll, ref(coll, s["name"], "3"))
    assert r.status_code == 403, r.text
    assert REG in r.json()["message"]


def test_sharing_an_existing_version_is_409_and_copies_nothing(env, shared):
    before = registry_files(env)
    err = env.fails("bob", "-w", "team-a", "data", "share", "--name", "iris-a", "--version",
                    shared["data"]["source"]["version"], "--registry-name", REG,
                    "--share-with-name", "iris", "--share-with-version", "3")
    assert "already exists" in err and "nothing was copied" in err
    assert registry_files(env) == before


def test_registry_permissions(env, shared):
    # Unknown registry: 404 for everyone; a registry one may not read: 403.
    assert env.req("GET", "/api/v1/registries/nope", user="carol").status_code == 404
    r = env.req("GET", f"/api/v1/registries/{REG}/models", user="dave")
    assert r.status_code == 403 and "AzureML Registry User" in r.json()["message"]
    # Everyone signed in may use the built-in registry's environments by reference.
    assert [r["name"] for r in env.ok("dave", "registry", "list")["value"]] == ["azureml"]
    r = resolve(env, "carol", "team-b", "models", "azureml://registries/nope/models/x/versions/1")
    assert r.status_code == 404
    # A Registry User reads and uses but does not share or create.
    err = env.fails("carol", "-w", "team-b", "data", "create", "-f",
                    str(ASSETS / "data" / "local-folder.yml"), "--registry-name", REG)
    assert "may not perform 'registries/data/write' in registry" in err
    r = env.req("POST", "/api/v1/workspaces/team-b/data/x/versions/1/share", user="carol",
                json={"registry_name": REG})
    assert r.status_code in (403, 404), r.text
    # bob may not read team-b, so he cannot share from it either.
    r = env.req("POST", "/api/v1/workspaces/team-b/data/x/versions/1/share", user="bob",
                json={"registry_name": REG})
    assert r.status_code == 403, r.text
    # Only a server Owner/Contributor creates registries.
    assert "not allowed" in env.fails("bob", "registry", "create", "-f",
                                      str(REGISTRY_YAML / "registry-storage-options.yml"))


def test_create_in_registry_with_local_files(env):
    a = env.ok("bob", "-w", "team-a", "data", "create", "-f",
               str(ASSETS / "data" / "local-file.yml"), "--name", "direct", "--registry-name",
               REG)
    assert a["version"] == "1"
    shown = env.ok("carol", "data", "show", "direct", "--registry-name", REG)
    assert shown["content_hash"] == a["content_hash"]


def test_job_in_another_workspace_reads_a_registry_data_asset(env, shared, tmp_path):
    spec = tmp_path / "job.yml"
    spec.write_text(textwrap.dedent(f"""\
        command: ls ${{{{inputs.d}}}}
        environment:
          image: python
        inputs:
          d:
            type: uri_folder
            path: {ref('data', 'iris', '3')}
        """))
    job = env.ok("carol", "-w", "team-b", "job", "create", "-f", str(spec))
    done = wait_status(env.url, job["name"], ("Completed", "Failed"), ws="team-b", timeout=120,
                       headers=basic("carol"))
    assert done["status"] == "Completed", done
    # dave's identical job is refused at submission.
    err = env.fails("dave", "-w", "team-b", "job", "create", "-f", str(spec))
    assert REG in err


def test_bad_registry_specs_change_nothing(env, tmp_path):
    bad = tmp_path / "bad.yml"
    before = [r["name"] for r in env.ok("alice", "registry", "list")["value"]]
    for text, msg in (("name: ok-name\nlocation: x\ncolour: blue\n", "unknown field 'colour'"),
                      ("name: a b\n", "Invalid registry name"),
                      ("name: xy-reg\nreplication_locations: [eastus]\n", "location")):
        bad.write_text(text)
        assert msg in env.fails("alice", "registry", "create", "-f", str(bad))
    assert "already exists" in env.fails("alice", "registry", "create", "-f",
                                         str(REGISTRY_YAML / "registry.yml"))
    assert [r["name"] for r in env.ok("alice", "registry", "list")["value"]] == before


def run_pipeline(env, user, ws):
    spec = {"type": "pipeline", "jobs": {"step": {
        "component": ref("components", "hello_shared", "3"), "inputs": {"word": "hi"}}}}
    r = env.req("POST", f"/api/v1/workspaces/{ws}/jobs", user=user, json=spec)
    assert r.status_code == 201, r.text
    return wait_status(env.url, r.json()["name"], ("Completed", "Failed", "Canceled"), ws=ws,
                       timeout=120, headers=basic(user))


def test_registry_component_step_is_reused_across_workspaces(env, shared):
    first = run_pipeline(env, "bob", "team-a")
    assert first["status"] == "Completed", first
    assert first["steps"]["step"]["reused_from"] is None
    # carol may not read team-a: her identical step runs.
    own = run_pipeline(env, "carol", "team-b")
    assert own["status"] == "Completed", own
    assert own["steps"]["step"]["reused_from"] is None
    # dave, in a fresh workspace, may read team-a: bob's step is reused, its outputs copied.
    assert env.req("POST", "/api/v1/workspaces", json={"name": "team-c"}).status_code in (200, 201)
    env.assign("dave", "AzureML Data Scientist", workspace="team-c")
    env.assign("dave", "Reader", workspace="team-a")
    env.assign("dave", "AzureML Registry User", registry=REG)
    again = run_pipeline(env, "dave", "team-c")
    assert again["status"] == "Completed", again
    # (team-b's equal step, which dave may read too, would do as well)
    assert again["steps"]["step"]["reused_from"] in (first["steps"]["step"]["job"],
                                                     own["steps"]["step"]["job"])
    step_job = again["steps"]["step"]["job"]
    out = env.req("GET", f"/api/v1/workspaces/team-c/jobs/{step_job}/outputs/o/out.txt",
                  user="dave")
    assert out.status_code == 200 and out.text.strip() == "hi", out.text


def test_registry_version_is_archived_and_restored(env, shared):
    source = shared["model"]["source"]
    for version in ("1", "2"):
        env.ok("bob", "-w", "team-a", "model", "share", "--name", source["name"], "--version",
               source["version"], "--registry-name", REG, "--share-with-name", "clf-arch",
               "--share-with-version", version)
    latest = f"azureml://registries/{REG}/models/clf-arch/labels/latest"

    def latest_version():
        r = resolve(env, "carol", "team-b", "models", latest)
        assert r.status_code == 200, r.text
        return r.json()["value"][0]["version"]

    assert latest_version() == "2"
    # A Registry User reads but does not archive.
    err = env.fails("carol", "model", "archive", "clf-arch", "--version", "2",
                    "--registry-name", REG)
    assert "registries/models/write" in err
    assert latest_version() == "2"
    env.ok("bob", "model", "archive", "clf-arch", "--version", "2", "--registry-name", REG)
    listed = env.ok("carol", "model", "list", "--registry-name", REG)["value"]
    assert ("clf-arch", "2") not in {(a["name"], a["version"]) for a in listed}
    assert latest_version() == "1"  # an archived version is not @latest
    env.ok("bob", "model", "restore", "clf-arch", "--version", "2", "--registry-name", REG)
    assert latest_version() == "2"
    r = env.req("POST", f"/api/v1/registries/{REG}/models/clf-arch/versions/9/archive",
                user="bob")
    assert r.status_code == 404, r.text
