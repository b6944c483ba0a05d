"""The /api/v1 asset routes over HTTP: every route for each collection, lineage between runs and
asset versions, uploads (hash verified, unsafe archives refused), and bad input that changes
nothing."""

from __future__ import annotations

import tarfile

import pytest
import requests

from conftest import ML, unique
from mlws_testkit.uploads import content_hash, tar_zst  # noqa: E402

COLLECTIONS = ["models", "data", "environments", "components"]


def v1(server, path: str, ws: str = "default") -> str:
    return f"{server.url}/api/v1/workspaces/{ws}{path}"


def upload(server, files: dict[str, bytes], ws="default") -> str:
    h = content_hash(files)
    r = requests.put(v1(server, f"/uploads/{h}", ws), data=tar_zst(files))
    assert r.status_code == 200, r.text
    assert r.json()["files"] == len(files)
    return r.json()["uri"]


def spec_for(collection: str, name: str, server) -> dict:
    if collection == "models":
        return {"name": name, "path": upload(server, {"model.pkl": b"pickle" + name.encode()}) + "/model.pkl"}
    if collection == "data":
        return {"name": name, "type": "uri_folder", "path": upload(server, {"a.csv": b"1,2\n"})}
    if collection == "environments":
        return {"name": name, "image": "python:3.11"}
    return {"name": name.replace("-", "_"), "command": "echo ${{inputs.x}}",
            "inputs": {"x": {"type": "string"}}, "environment": {"image": "python"}}


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_route_of_a_collection(server, collection):
    name = unique("api").replace("-", "_") if collection == "components" else unique("api")
    a = requests.post(v1(server, f"/{collection}"), json=spec_for(collection, name, server))
    assert a.status_code == 200, a.text
    a = a.json()
    assert a["version"] == "1" and a["id"] == f"azureml:{name}:1" and not a["archived"]
    b = requests.post(v1(server, f"/{collection}"), json=spec_for(collection, name, server)).json()
    assert b["version"] == "2"
    # get: name (latest), name:version, name@latest
    assert requests.get(v1(server, f"/{collection}/{name}")).json()["version"] == "2"
    assert requests.get(v1(server, f"/{collection}/{name}:1")).json()["version"] == "1"
    assert requests.get(v1(server, f"/{collection}/{name}@latest")).json()["version"] == "2"
    assert requests.get(v1(server, f"/{collection}/{name}/versions/1")).json()["version"] == "1"
    versions = requests.get(v1(server, f"/{collection}/{name}/versions")).json()["value"]
    assert [v["version"] for v in versions] == ["2", "1"]
    listed = requests.get(v1(server, f"/{collection}")).json()["value"]
    assert [x["version"] for x in listed if x["name"] == name] == ["2"]
    listed = requests.get(v1(server, f"/{collection}"), params={"all_versions": "true"}).json()["value"]
    assert sorted(x["version"] for x in listed if x["name"] == name) == ["1", "2"]
    # update
    u = requests.patch(v1(server, f"/{collection}/{name}/versions/1"),
                       json={"description": "first", "tags": {"k": "v"}})
    assert u.status_code == 200 and u.json()["description"] == "first" and u.json()["tags"] == {"k": "v"}
    # archive / restore
    r = requests.post(v1(server, f"/{collection}/{name}/versions/2/archive"))
    assert r.status_code == 200 and r.json()["archived"]
    assert requests.get(v1(server, f"/{collection}/{name}")).json()["version"] == "1"
    assert requests.post(v1(server, f"/{collection}/{name}/versions/2/restore")).json()["archived"] is False
    # lineage
    lin = requests.get(v1(server, f"/{collection}/{name}/versions/1/lineage")).json()
    assert lin == {"produced_by_run": None, "used_by_runs": []}
    # delete
    assert requests.delete(v1(server, f"/{collection}/{name}/versions/1")).status_code == 200
    r = requests.get(v1(server, f"/{collection}/{name}:1"))
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # workspaces are separate
    requests.post(f"{server.url}/api/v1/workspaces", json={"name": "assets-other"})
    assert requests.get(v1(server, f"/{collection}/{name}", "assets-other")).status_code == 404


def test_lineage_between_runs_and_assets(server):
    exp = requests.post(server.url + ML + "/experiments/create", json={"name": unique("lin")}).json()
    run = requests.post(server.url + ML + "/runs/create",
                        json={"experiment_id": exp["experiment_id"]}).json()["run"]["info"]
    run_id = run["run_id"]
    data = requests.post(v1(server, "/data"), json=spec_for("data", unique("in"), server)).json()
    # The run used data X:v
    r = requests.post(v1(server, f"/runs/{run_id}/inputs"),
                      json={"kind": "data", "reference": f"azureml:{data['name']}:{data['version']}"})
    assert r.status_code == 200, r.text
    lin = requests.get(v1(server, f"/data/{data['name']}/versions/1/lineage")).json()
    assert [u["run_id"] for u in lin["used_by_runs"]] == [run_id]
    assert lin["used_by_runs"][0]["experiment_id"] == exp["experiment_id"]
    # The run produced model Y:v
    name = unique("out")
    m = requests.post(v1(server, "/models"), params={"source_run_id": run_id},
                      json=spec_for("models", name, server))
    assert m.status_code == 200, m.text
    lin = requests.get(v1(server, f"/models/{name}/versions/1/lineage")).json()
    assert lin["produced_by_run"]["run_id"] == run_id
    mv = requests.get(server.url + ML + "/model-versions/get", params={"name": name, "version": "1"}).json()
    assert mv["model_version"]["run_id"] == run_id
    # The run's page lists its inputs and registered outputs (also those made with MLflow).
    other = unique("mlflow-out")
    requests.post(server.url + ML + "/registered-models/create", json={"name": other})
    requests.post(server.url + ML + "/model-versions/create",
                  json={"name": other, "source": f"runs:/{run_id}/model", "run_id": run_id})
    page = requests.get(v1(server, f"/runs/{run_id}/lineage")).json()
    assert [a["name"] for a in page["inputs"]] == [data["name"]]
    assert sorted(a["name"] for a in page["outputs"]) == sorted([name, other])
    # Unknown run / asset
    assert requests.get(v1(server, "/runs/" + "0" * 32 + "/lineage")).status_code == 404
    r = requests.post(v1(server, f"/runs/{run_id}/inputs"), json={"kind": "data", "reference": "azureml:nope:1"})
    assert r.status_code == 404
    r = requests.post(v1(server, "/models"), params={"source_run_id": "f" * 32},
                      json=spec_for("models", unique("orphan"), server))
    assert r.status_code == 404


def test_uploads_are_verified(server):
    files = {"a.txt": b"hello", "sub/b.txt": b"world"}
    h = content_hash(files)
    assert requests.get(v1(server, f"/uploads/{h}")).status_code == 404
    # Wrong hash: refused, nothing stored.
    wrong = "0" * 64
    r = requests.put(v1(server, f"/uploads/{wrong}"), data=tar_zst(files))
    assert r.status_code == 400 and "hash" in r.json()["message"]
    assert requests.get(v1(server, f"/uploads/{wrong}")).status_code == 404
    # Not a hash / not an archive
    assert requests.put(v1(server, "/uploads/abc"), data=b"x").status_code == 400
    r = requests.put(v1(server, f"/uploads/{h}"), data=b"not an archive")
    assert r.status_code == 400
    # Path escapes and links in the archive are refused.
    evil = tarfile.TarInfo("../escape.txt")
    evil.size = 1
    r = requests.put(v1(server, f"/uploads/{h}"), data=tar_zst({}, [(evil, b"x")]))
    assert r.status_code == 400 and "unsafe path" in r.json()["message"]
    link = tarfile.TarInfo("link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    r = requests.put(v1(server, f"/uploads/{h}"), data=tar_zst({}, [(link, None)]))
    assert r.status_code == 400 and "not a regular file" in r.json()["message"]
    # The same path twice: refused (the second would silently replace the first).
    dup = tarfile.TarInfo("a.txt")
    dup.size = 5
    r = requests.put(v1(server, f"/uploads/{h}"), data=tar_zst(files, [(dup, b"hello")]))
    assert r.status_code == 400 and "twice" in r.json()["message"]
    # "./name" entries, as `tar -C dir .` writes them, are the same files.
    dotted = {"./" + k: v for k, v in files.items()}
    r = requests.put(v1(server, f"/uploads/{h}"), data=tar_zst(dotted))
    assert r.status_code == 200, r.text
    # The right one, twice: idempotent.
    uri = upload(server, files)
    assert uri.endswith(h)
    assert upload(server, files) == uri
    assert requests.get(v1(server, f"/uploads/{h}")).status_code == 200


def test_bad_api_input_changes_nothing(server):
    name = unique("bad")
    cases = [
        ("data", b"{not json", 400, "not valid JSON"),
        ("data", {"name": name, "path": "/etc/passwd"}, 400, "not a URI the server can read"),
        ("data", {"name": name, "path": "azureml://datastores/workspaceblobstore/paths/LocalUpload/" + "a" * 64},
         404, "upload that does not exist"),
        ("data", {"name": name, "path": "azureml://datastores/workspaceblobstore/paths/../../x"}, 400, "unsafe"),
        ("data", {"name": name, "path": "https://x/y", "color": "red"}, 400, "unknown field 'color'"),
        ("data", {"name": "", "path": "https://x/y"}, 400, "needs a name"),
        ("data", {"name": name, "path": "https://x/y", "version": "a b"}, 400, "invalid version"),
        ("models", {"name": name, "path": "https://x/y", "type": "onnx"}, 400, "unknown model type"),
        ("components", {"name": "Bad-Name", "command": "x", "environment": {"image": "p"}}, 400,
         "invalid component name"),
        ("components", {"name": "ok_name", "command": "x", "environment": "azureml:ghost:1"}, 404, "ghost"),
        ("environments", {"name": name, "image": "p", "conda_file": "file.yml"}, 400, "conda_file"),
    ]
    for coll, body, status, part in cases:
        kw = {"data": body} if isinstance(body, bytes) else {"json": body}
        r = requests.post(v1(server, f"/{coll}"), **kw)
        assert r.status_code == status, (coll, body, r.status_code, r.text)
        assert part in r.json()["message"], (part, r.json())
    for coll in COLLECTIONS:
        assert all(a["name"] not in (name, "ok_name") for a in requests.get(v1(server, f"/{coll}")).json()["value"])
    r = requests.get(v1(server, "/data"), params={"reference": "azureml:x@best"})
    assert r.status_code == 400 and "only 'latest'" in r.json()["message"]
    assert requests.get(v1(server, "/data/nope/versions")).status_code == 404
    assert requests.get(v1(server, "/data/x", "no-such-ws")).status_code == 404


def test_concurrent_creates_get_distinct_versions(server):
    from concurrent.futures import ThreadPoolExecutor

    name = unique("race")

    def create(_):
        return requests.post(v1(server, "/data"), json={"name": name, "path": "https://x/y"}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(16)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    versions = sorted(int(r.json()["version"]) for r in results)
    assert versions == list(range(1, 17))
    # Each stored spec carries its own version.
    for v in requests.get(v1(server, f"/data/{name}/versions")).json()["value"]:
        assert v["spec"]["version"] == v["version"]
