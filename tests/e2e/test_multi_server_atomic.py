"""Read-modify-writes raced through two `mlws server` processes on one PostgreSQL database
(docs/scale-out.md "Store seams"): each is one transaction, so whatever the interleaving

* model versions created at once get distinct numbers, and `@latest` is the highest;
* of datastores created at once as the default, exactly one is the default;
* of batch deployments of one name created at once, exactly one is created;
* a quota PUT answers with the quota it wrote.

Before these went through `MetadataStore::Atomically` (or a key lock), each could go wrong: two
servers read the same next version (one create failed), both cleared the old default before
either inserted its own (two defaults), both saw no deployment (two creates answered 200).
All requests start together behind a barrier; nothing waits on a sleep.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mlws_testkit import pg
from mlws_testkit.uploads import content_hash, tar_zst
from test_multi_server import two_servers

pytestmark = pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")

PER_SERVER = 6  # concurrent requests per server in each race


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("atomic")
    a, b = two_servers(tmp, pg.cluster().new_database())
    yield a, b
    for s in (a, b):
        s.stop()


def v1(url: str, path: str) -> str:
    return f"{url}/api/v1/workspaces/default{path}"


def race(servers, request) -> list[requests.Response]:
    """`request(url, i)` PER_SERVER times on each server, all released at once."""
    urls = [s.url for s in servers for _ in range(PER_SERVER)]
    barrier = threading.Barrier(len(urls))

    def one(i: int) -> requests.Response:
        barrier.wait(timeout=30)
        return request(urls[i], i)

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(one, range(len(urls))))


def test_model_versions_created_through_two_servers_are_distinct(servers):
    spec = {"name": "raced-model", "type": "custom_model", "path": "https://example.com/m.pkl"}
    answers = race(servers, lambda url, i: requests.post(v1(url, "/models"), json=spec,
                                                         timeout=30))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    versions = sorted(int(r.json()["version"]) for r in answers)
    assert versions == list(range(1, 2 * PER_SERVER + 1))
    for s in servers:
        r = requests.get(v1(s.url, "/models/raced-model@latest"), timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["version"] == str(2 * PER_SERVER)
        mv = requests.get(f"{s.url}/api/2.0/mlflow/registered-models/get-latest-versions",
                          params={"name": "raced-model"}, timeout=10).json()
        assert [v["version"] for v in mv["model_versions"]] == [str(2 * PER_SERVER)]


def test_one_default_datastore_after_defaults_created_through_two_servers(servers):
    homes = {s.url: s.home for s in servers}

    def create(url: str, i: int) -> requests.Response:
        folder = homes[url] / "datastores" / f"raced{i}"
        folder.mkdir(parents=True, exist_ok=True)
        return requests.post(v1(url, "/datastores"), timeout=30,
                             json={"name": f"raced{i}", "type": "local", "path": str(folder),
                                   "is_default": True})

    answers = race(servers, create)
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    for s in servers:
        listed = requests.get(v1(s.url, "/datastores"), timeout=10).json()["value"]
        defaults = [d["name"] for d in listed if d["is_default"]]
        assert len(defaults) == 1 and defaults[0].startswith("raced"), listed


def test_one_batch_deployment_of_a_name_created_through_two_servers(servers):
    a, b = servers
    # The model's files, uploaded to both servers (uploads live under each server's home; the
    # URI is their content hash, so it is the same on both).
    files = {"MLmodel": b"flavors:\n  python_function: {}\n"}
    for s in servers:
        r = requests.put(v1(s.url, f"/uploads/{content_hash(files)}"), data=tar_zst(files),
                         timeout=30)
        assert r.status_code == 200, r.text
        uri = r.json()["uri"]
    r = requests.post(v1(a.url, "/models"), timeout=30,
                      json={"name": "batch-model", "type": "mlflow_model", "path": uri})
    assert r.status_code == 200, r.text
    model = f"azureml:batch-model:{r.json()['version']}"
    for name in ("raced-ep1", "raced-ep2", "raced-ep3"):
        r = requests.post(v1(a.url, "/batch-endpoints"), json={"name": name}, timeout=10)
        assert r.status_code in (200, 201), r.text
        answers = race(servers, lambda url, i: requests.post(
            v1(url, f"/batch-endpoints/{name}/deployments"), timeout=30,
            json={"name": "dep", "model": model}))
        created = [r for r in answers if r.status_code in (200, 201)]
        refused = [r for r in answers if r not in created]
        assert len(created) == 1, [r.text for r in answers]
        assert all(r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS" for r in refused), \
            [r.text for r in refused]
        for s in servers:
            deps = requests.get(v1(s.url, f"/batch-endpoints/{name}/deployments"),
                                timeout=10).json()["value"]
            assert [d["name"] for d in deps] == ["dep"]
            ep = requests.get(v1(s.url, f"/batch-endpoints/{name}"), timeout=10).json()
            assert ep["defaults"]["deployment_name"] == "dep", ep


def test_a_quota_put_answers_with_what_it_wrote(servers):
    def put(url: str, i: int) -> requests.Response:
        return requests.put(v1(url, "/quota"), json={"budget": {"max_cost": i + 1}}, timeout=30)

    answers = race(servers, put)
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    for i, r in enumerate(answers):
        assert r.json()["budget"]["max_cost"] == i + 1, r.text
