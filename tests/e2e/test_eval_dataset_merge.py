"""Concurrent merge_records on one evaluation dataset: every record of every merge lands (the
merge is one read-modify-write step in the store, not read here and written back there), also
when the merges go to two servers sharing one PostgreSQL database (the conditional write)."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from conftest import Api, MlwsServer, unique
from mlws_testkit import pg

DS = "/api/3.0/mlflow/datasets"
THREADS, MERGES = 6, 8


def test_concurrent_merges_lose_nothing(api):
    _merge_concurrently(api, [api.url])


@pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")
def test_merges_through_two_servers_on_one_postgres_database_lose_nothing(tmp_path):
    uri = pg.cluster().new_database()
    servers = [MlwsServer(tmp_path / f"home{i}", log_dir=tmp_path,
                          extra_args=["--backend-store-uri", uri]).start() for i in range(2)]
    try:
        _merge_concurrently(Api(servers[0].url), [srv.url for srv in servers])
    finally:
        for srv in servers:
            assert srv.stop() == 0, srv.stderr()


def _merge_concurrently(api, urls):
    """THREADS clients (spread over `urls`) each merge MERGES new records into one dataset."""
    exp = api.create_experiment(unique("dsmerge"))
    s = api.s
    ds = s.post(api.url + DS + "/create", json={"name": unique("ds"), "experiment_ids": [exp]},
                timeout=30).json()["dataset"]["dataset_id"]
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def merge(t: int):
        url = urls[t % len(urls)]
        session = requests.Session()
        start.wait()
        for i in range(MERGES):
            records = [{"inputs": {"q": f"{t}-{i}"}, "expectations": {"a": i}}]
            r = session.post(f"{url}{DS}/{ds}/records", json={"records": json.dumps(records)},
                             timeout=60)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:200]}")
            elif r.json().get("inserted_count") != 1:
                errors.append(r.text[:200])

    threads = [threading.Thread(target=merge, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    got = s.get(f"{api.url}{DS}/{ds}/records", params={"max_results": 1000}, timeout=30).json()
    records = json.loads(got["records"]) if isinstance(got.get("records"), str) else got["records"]
    assert sorted(r["inputs"]["q"] for r in records) == sorted(
        f"{t}-{i}" for t in range(THREADS) for i in range(MERGES))
    profile = json.loads(s.get(f"{api.url}{DS}/{ds}", timeout=30).json()["dataset"]["profile"])
    assert profile["num_records"] == THREADS * MERGES
