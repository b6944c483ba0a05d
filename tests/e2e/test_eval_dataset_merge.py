"""Concurrent merge_records on one evaluation dataset: every record of every merge lands (the
merge is one read-modify-write step in the store, not read here and written back there)."""

from __future__ import annotations

import json
import threading

from conftest import unique

DS = "/api/3.0/mlflow/datasets"
THREADS, MERGES = 6, 8


def test_concurrent_merges_lose_nothing(api):
    exp = api.create_experiment(unique("dsmerge"))
    s = api.s
    ds = s.post(api.url + DS + "/create", json={"name": unique("ds"), "experiment_ids": [exp]},
                timeout=30).json()["dataset"]["dataset_id"]
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def merge(t: int):
        start.wait()
        for i in range(MERGES):
            records = [{"inputs": {"q": f"{t}-{i}"}, "expectations": {"a": i}}]
            r = s.post(f"{api.url}{DS}/{ds}/records", json={"records": json.dumps(records)},
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
