"""metrics/get-history without paging is streamed (chunked) as it is read from the store: a
1M-point history comes back whole and correct while the server's anonymous memory stays bounded
(docs/server.md, "Limits a client can hit")."""

from __future__ import annotations

import json
import threading

import requests

from conftest import ML, Api, assert_error, unique

POINTS = 1_000_000
PER_REQUEST = 1000
RSS_BOUND = 32 << 20  # the history's JSON is ~70 MB and its points 24 MB; one batch is < 1 MB


def status_bytes(pid: int, field: str) -> int:
    """A memory figure of /proc/<pid>/status (e.g. VmRSS; RssAnon leaves out the pages of the
    memory-mapped database, which are file-backed), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def log_points(api: Api, run: str, key: str, total: int, clients: int = 4) -> None:
    errors = []

    def work(c: int) -> None:
        a = Api(api.url)
        for start in range(c * PER_REQUEST, total, clients * PER_REQUEST):
            r = a.post("/runs/log-batch", {"run_id": run, "metrics": [
                {"key": key, "value": i * 0.5, "timestamp": 1_700_000_000_000 + i, "step": i}
                for i in range(start, min(total, start + PER_REQUEST))]})
            if r.status_code != 200:
                errors.append(r.text)
                return

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def test_a_million_point_history_is_streamed_whole_in_bounded_memory(spawn):
    srv = spawn()
    api = Api(srv.url)
    run = api.create_run(api.create_experiment(unique("stream")))
    # One client: logging order is history order, the case streamed straight from the store
    # (a history logged out of order is sorted in memory first; see the next test).
    log_points(api, run, "loss", POINTS, clients=1)
    before = status_bytes(srv.proc.pid, "RssAnon")
    peak = before
    r = requests.get(srv.url + ML + "/metrics/get-history",
                     params={"run_id": run, "metric_key": "loss"}, stream=True, timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("transfer-encoding") == "chunked", r.headers
    assert "content-length" not in r.headers
    body = bytearray()
    for piece in r.iter_content(chunk_size=1 << 20):
        body += piece
        peak = max(peak, status_bytes(srv.proc.pid, "RssAnon"))
    assert peak - before < RSS_BOUND, (
        f"server anonymous memory grew by {(peak - before) >> 20} MiB while streaming")
    doc = json.loads(body)
    assert "next_page_token" not in doc
    pts = doc["metrics"]
    assert len(pts) == POINTS
    assert all(p["step"] == i and p["timestamp"] == 1_700_000_000_000 + i and
               p["value"] == i * 0.5 and p["key"] == "loss" for i, p in enumerate(pts))
    # The connection is reusable after a streamed body (keep-alive), and paging still works.
    s = requests.Session()
    page = s.get(srv.url + ML + "/metrics/get-history",
                 params={"run_id": run, "metric_key": "loss", "max_results": 5}, timeout=30).json()
    assert [p["step"] for p in page["metrics"]] == [0, 1, 2, 3, 4] and page["next_page_token"]


def test_streamed_history_is_sorted_and_deduplicated_like_the_paged_one(api: Api):
    run = api.create_run(api.create_experiment(unique("stream-order")))
    # Out of order, with repeated points (each repeat in its own request) and NaN: the stream
    # falls back to sorting in memory.
    for batch in ([(3, 30, 1.0), (1, 10, 1.0)], [(1, 10, 1.0)], [(2, 20, 5.0), (0, 5, "NaN")],
                  [(0, 5, "NaN")]):
        api.log_batch(run, metrics=[{"key": "m", "value": v, "timestamp": t, "step": s}
                                    for s, t, v in batch])
    q = {"run_id": run, "metric_key": "m"}
    streamed = api.ok(api.get("/metrics/get-history", q))
    paged = api.ok(api.get("/metrics/get-history", {**q, "max_results": 100}))
    assert streamed == paged
    assert [(p["step"], p["timestamp"]) for p in streamed["metrics"]] == [
        (0, 5), (1, 10), (2, 20), (3, 30)]
    # In-order history with a repeated point: served straight from the chunks, still deduplicated.
    run2 = api.create_run(api.create_experiment(unique("stream-dup")))
    for _ in range(2):
        api.log_batch(run2, metrics=[{"key": "k", "value": 1.0, "timestamp": 7, "step": 7}])
    api.log_batch(run2, metrics=[{"key": "k", "value": 2.0, "timestamp": 8, "step": 8}])
    got = api.ok(api.get("/metrics/get-history", {"run_id": run2, "metric_key": "k"}))
    assert [p["step"] for p in got["metrics"]] == [7, 8]


def test_streamed_history_errors_come_before_the_stream(api: Api):
    r = api.get("/metrics/get-history", {"run_id": "0" * 32, "metric_key": "m"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "")
    assert "transfer-encoding" not in r.headers
    run = api.create_run()
    empty = api.get("/metrics/get-history", {"run_id": run, "metric_key": "never-logged"})
    assert api.ok(empty) == {}


def test_many_key_requests_read_back_the_same_across_folds(api: Api):
    """log_metrics({...}) with many keys: those keys share one multi-key chunk per request,
    folded into per-key chunks every 16 requests (docs/storage.md). 20 requests of 50 keys x 2
    steps leave 4 unfolded: the streamed, paged and bulk histories, the run's latest values and
    a search on a shared key all see every point once, in order, NaN included."""
    run = api.create_run(api.create_experiment(unique("multikey")))
    for r in range(20):
        api.log_batch(run, metrics=[
            {"key": f"k{k}", "value": "NaN" if (k, r) == (3, 19) else k * 100 + r + s / 4,
             "timestamp": 1_000 + 2 * r + s, "step": 2 * r + s}
            for k in range(50) for s in range(2)])
    q = {"run_id": run, "metric_key": "k7"}
    streamed = api.ok(api.get("/metrics/get-history", q))["metrics"]
    assert [p["step"] for p in streamed] == list(range(40))
    assert [p["value"] for p in streamed[:3]] == [700, 700.25, 701]
    paged, token = [], None
    while True:
        page = api.ok(api.get("/metrics/get-history",
                              {**q, "max_results": 7, **({"page_token": token} if token else {})}))
        paged += page["metrics"]
        token = page.get("next_page_token")
        if not token:
            break
    assert paged == streamed
    nan = api.ok(api.get("/metrics/get-history", {"run_id": run, "metric_key": "k3"}))["metrics"]
    assert len(nan) == 40 and [p["value"] for p in nan[-3:]] == [318.25, "NaN", "NaN"]
    latest = {m["key"]: m for m in api.ok(api.get("/runs/get", {"run_id": run}))
              ["run"]["data"]["metrics"]}
    assert len(latest) == 50 and latest["k49"]["step"] == 39 and latest["k49"]["value"] == 4919.25
    exp = api.ok(api.get("/runs/get", {"run_id": run}))["run"]["info"]["experiment_id"]
    found = api.ok(api.post("/runs/search", {"experiment_ids": [exp],
                                             "filter": "metrics.k49 > 4919"}))
    assert [r["info"]["run_id"] for r in found["runs"]] == [run]
