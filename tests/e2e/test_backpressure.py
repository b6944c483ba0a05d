"""Backpressure over real HTTP: when the store's write queue is full a write is answered 503
with Retry-After at once, changes nothing, and is counted in /metrics (docs/server.md)."""

from __future__ import annotations

import json
import re

import requests

from conftest import ML, unique
from test_security_http import connect, experiment_exists, read_response


def burst_of_creates(port: int, n: int) -> list[tuple[str, tuple[int, dict, bytes]]]:
    """n experiment creates sent at once on n connections; (name, answer) for each."""
    names = [unique("bp") for _ in range(n)]
    socks = [connect(port) for _ in names]
    for s, name in zip(socks, names):
        body = json.dumps({"name": name})
        s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                  f"{body}".encode())
    answers = [read_response(s) for s in socks]
    for s in socks:
        s.close()
    return list(zip(names, answers))


def metric(url: str, name: str) -> float:
    text = requests.get(url + "/metrics", timeout=30).text
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


def test_full_store_write_queue_answers_503_and_changes_nothing(spawn):
    # Many workers, one waiting slot at the store: writes that find it taken are refused.
    srv = spawn(extra_args=["--worker-threads", "32", "--store-write-queue", "1"])
    assert metric(srv.url, "mlws_store_write_queue_limit") == 1
    store_busy = []
    results = []
    for _ in range(10):  # until a burst meets a full queue (the first one nearly always does)
        results += burst_of_creates(srv.port, 64)
        store_busy = [(n, a) for n, a in results
                      if a[0] == 503 and b"--store-write-queue" in a[2]]
        if store_busy:
            break
    assert store_busy, "ten bursts of 64 writes never found the store's queue full"
    assert {a[0] for _, a in results} <= {200, 503}
    for name, (status, headers, body) in results:
        if status == 503:
            assert headers.get("retry-after") == "1", headers
            assert json.loads(body)["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert experiment_exists(srv.url, name) == (status == 200), (name, status)
    assert metric(srv.url, "mlws_store_write_rejections_total") >= len(store_busy)
    assert metric(srv.url, "mlws_store_write_queue_depth") == 0
    # Once the burst is over, writes go through again.
    r = requests.post(srv.url + ML + "/experiments/create", json={"name": unique("after")},
                      timeout=30)
    assert r.status_code == 200, r.text


def test_default_store_queue_limit_is_reported(server):
    assert metric(server.url, "mlws_store_write_queue_limit") == 256
    assert metric(server.url, "mlws_store_write_rejections_total") == 0
