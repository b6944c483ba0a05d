"""10,000 idle keep-alive connections are held with bounded server memory while a well-behaved
client keeps being served quickly and is never refused (issue 12, docs/server.md)."""

from __future__ import annotations

import resource
import socket
import time

import pytest
import requests

from conftest import ML, Api, unique
from test_security_http import read_response
from test_streamed_history import status_bytes

IDLE = 10_000
PER_ADDRESS = 1_000  # spread over 127.0.0.2.. so the default per-address cap (1024) holds
MEMORY_BOUND = 100 << 20  # 10 KiB a connection, at most
# The good client's p99 bound: 50 ms, or 3x its own baseline taken in this test before the
# connections are opened when the shared 2-core CI box is too busy for an absolute 50 ms.
P99_FLOOR_S = 0.050


def raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}: cannot hold {IDLE} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def good_client_latencies(url: str, run: str, n: int, offset: int) -> list[float]:
    """n requests on one keep-alive connection, alternating a group-committed write and a read;
    every one must be answered 200 (none refused)."""
    s = requests.Session()
    lat = []
    for i in range(n):
        t0 = time.monotonic()
        if i % 2 == 0:
            r = s.post(url + ML + "/runs/log-metric", json={
                "run_id": run, "key": "m", "value": i, "timestamp": offset + i,
                "step": offset + i}, timeout=30)
        else:
            r = s.get(url + ML + "/runs/get", params={"run_id": run}, timeout=30)
        lat.append(time.monotonic() - t0)
        assert r.status_code == 200, f"request {i}: {r.status_code} {r.text[:200]}"
    lat.sort()
    return lat


def p99(lat: list[float]) -> float:
    return lat[max(0, int(len(lat) * 0.99) - 1)]


def test_ten_thousand_idle_keep_alive_connections(spawn):
    raise_nofile(IDLE + 1000)
    # Deadlines longer than the test, so every held connection stays open until the end.
    srv = spawn(extra_args=["--idle-timeout", "600", "--header-timeout", "600"])
    api = Api(srv.url)
    run = api.create_run(api.create_experiment(unique("idle")))
    good_client_latencies(srv.url, run, 50, 0)  # warm up
    baseline = good_client_latencies(srv.url, run, 200, 1000)
    before = status_bytes(srv.proc.pid, "VmRSS")
    held: list[socket.socket] = []
    try:
        for i in range(IDLE):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(30)
            s.bind((f"127.0.0.{2 + i // PER_ADDRESS}", 0))
            s.connect(("127.0.0.1", srv.port))
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.append(s)
        for s in held:  # each answered, each now an idle keep-alive connection
            status, headers, _ = read_response(s)
            assert status == 200 and headers.get("connection", "").lower() != "close"
        metrics = requests.get(srv.url + "/metrics", timeout=30).text
        idle_now = int(next(ln.split()[1] for ln in metrics.splitlines()
                            if ln.startswith("mlws_http_idle_connections ")))
        assert idle_now >= IDLE, idle_now
        grown = status_bytes(srv.proc.pid, "VmRSS") - before
        assert grown < MEMORY_BOUND, f"{IDLE} idle connections cost {grown >> 20} MiB"
        # The good client: group-committed writes and reads, none refused.
        lat = good_client_latencies(srv.url, run, 200, 5000)
        bound = max(P99_FLOOR_S, 3 * p99(baseline))
        assert p99(lat) <= bound, (f"p99 {p99(lat) * 1000:.1f} ms with {IDLE} idle connections, "
                                   f"baseline {p99(baseline) * 1000:.1f} ms")
        hist = api.ok(api.get("/metrics/get-history", {"run_id": run, "metric_key": "m"}))
        assert len(hist["metrics"]) == 25 + 100 + 100
        # The held connections still work.
        for s in held[:: IDLE // 10]:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_response(s)[0] == 200
        print(f"idle connections: {IDLE}, server memory +{grown / 1024 / IDLE:.1f} KiB each, "
              f"good client p50 {lat[len(lat) // 2] * 1000:.1f} ms p99 {p99(lat) * 1000:.1f} ms "
              f"(baseline p99 {p99(baseline) * 1000:.1f} ms)")
    finally:
        for s in held:
            s.close()
