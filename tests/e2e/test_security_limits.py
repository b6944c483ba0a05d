"""Attacks on the server's limits (issue "Contain user code and hostile clients", items 11-13):
each is sent over real HTTP to a real server and must fail safely: a clear 4xx, nothing kept,
the server still serving everyone else.
"""

from __future__ import annotations

import os
import stat
import subprocess

import requests

from conftest import ML, Api, assert_error, health_ok, unique
from mlws_testkit import pg

IPV = "INVALID_PARAMETER_VALUE"


# --- item 11: a long metric history is paged or streamed, never held whole in memory --------------------

HISTORY_PAGE = 100_000  # tracking::kMaxHistoryPage


def test_long_history_is_served_in_bounded_pages(api: Api, server):
    run = api.create_run(api.create_experiment(unique("hist")))
    total = HISTORY_PAGE + 2_345
    for start in range(0, total, 1000):
        api.log_batch(run, metrics=[{"key": "loss", "value": float(i), "timestamp": 1000 + i,
                                     "step": i} for i in range(start, min(total, start + 1000))])
    q = {"run_id": run, "metric_key": "loss"}
    # Unpaged, the whole history is streamed (test_streamed_history.py); paged, a page holds at
    # most HISTORY_PAGE points.
    whole = api.ok(api.get("/metrics/get-history", q))
    assert len(whole["metrics"]) == total and "next_page_token" not in whole
    first = api.ok(api.get("/metrics/get-history", {**q, "max_results": HISTORY_PAGE}))
    assert len(first["metrics"]) == HISTORY_PAGE and first["next_page_token"]
    second = api.ok(api.get("/metrics/get-history", {**q, "page_token": first["next_page_token"]}))
    assert "next_page_token" not in second
    steps = [m["step"] for m in first["metrics"] + second["metrics"]]
    assert steps == list(range(total))
    # A smaller page is honoured; the ceiling cannot be raised by asking.
    small = api.ok(api.get("/metrics/get-history", {**q, "max_results": 10}))
    assert [m["step"] for m in small["metrics"]] == list(range(10)) and small["next_page_token"]
    huge = api.ok(api.get("/metrics/get-history", {**q, "max_results": 10**9}))
    assert len(huge["metrics"]) == HISTORY_PAGE
    assert_error(api.get("/metrics/get-history", {**q, "max_results": 0}), 400, IPV, "max_results")
    assert_error(api.get("/metrics/get-history", {**q, "page_token": "bogus"}), 400, IPV,
                 "page token")


def test_mlflow_client_reads_a_paged_history_whole(server):
    from mlflow import MlflowClient  # the real client follows next_page_token
    c = MlflowClient(tracking_uri=server.url)
    api = Api(server.url)
    run = api.create_run(api.create_experiment(unique("hist-client")))
    total = HISTORY_PAGE + 10
    for start in range(0, total, 1000):
        api.log_batch(run, metrics=[{"key": "m", "value": 1.0, "timestamp": i, "step": i}
                                    for i in range(start, min(total, start + 1000))])
    assert [m.step for m in c.get_metric_history(run, "m")] == list(range(total))


# --- item 12: text that is not UTF-8 never gets in ---------------------------------------------

def test_names_that_are_not_utf8_are_refused_and_change_nothing(api: Api, server):
    before = api.ok(api.get("/registered-models/search"))
    for target in ("/registered-models/create?name=m%ff", "/registered-models/create?name=m%00"):
        r = requests.post(server.url + ML + target, timeout=30)
        assert 400 <= r.status_code < 500, r.text
    # A JSON body with raw bytes that are not UTF-8 is malformed JSON.
    r = api.post_raw("/registered-models/create", b'{"name": "m\xff"}')
    assert_error(r, 400, ("BAD_REQUEST", IPV))
    r = requests.get(server.url + ML + "/experiments/get-by-name?experiment_name=%C0%AF",
                     timeout=30)  # an overlong '/'
    assert_error(r, 400, ("BAD_REQUEST", IPV), "UTF-8")
    r = requests.get(server.url + "/api/2.0/mlflow-artifacts/artifacts/x%FF/y", timeout=30)
    assert_error(r, 400, ("BAD_REQUEST", IPV))
    assert api.ok(api.get("/registered-models/search")) == before
    assert requests.get(server.url + "/api/v1/workspaces/default/models",
                        timeout=30).status_code == 200
    health_ok(server.url)


# --- item 13: zstd bombs, SQLite internals in 500s, file modes ---------------------------------

def test_a_zstd_bomb_upload_is_refused_and_nothing_is_kept(tmp_path, server):
    src = tmp_path / "bomb"
    src.mkdir()
    with open(src / "zeros.bin", "wb") as f:
        f.truncate(200 << 20)  # 200 MiB of zeros: a few kilobytes of zstd
    archive = tmp_path / "bomb.tar.zst"
    subprocess.run(["tar", "--zstd", "-cf", str(archive), "-C", str(src), "zeros.bin"],
                   check=True)
    assert archive.stat().st_size < 1 << 20
    url = f"{server.url}/api/v1/workspaces/default/uploads/{'ab' * 32}"
    with open(archive, "rb") as body:
        r = requests.put(url, data=body, headers={"Content-Type": "application/octet-stream"},
                         timeout=60)
    assert_error(r, 413, ("BAD_REQUEST", IPV, "PAYLOAD_TOO_LARGE", "REQUEST_LIMIT_EXCEEDED"),
                 "unpacks to more than", "compressed size")
    kept = [p for p in server.home.rglob("*") if p.is_file() and p.stat().st_size > 1 << 20
            and p.name != "mlws.db" and not p.name.startswith("mlws.db-")]
    assert kept == [], kept
    health_ok(server.url)


def test_search_with_too_many_comparisons_is_a_400_not_a_sqlite_500(api: Api):
    exp = api.create_experiment(unique("joins"))
    api.create_run(exp)
    flt = " and ".join(f"metrics.m{i} > 0" for i in range(70))
    r = api.post("/runs/search", {"experiment_ids": [exp], "filter": flt})
    body = assert_error(r, 400, IPV, "at most 40")
    assert "sqlite" not in body["message"].lower()
    flt = " and ".join(f"metrics.m{i} > 0" for i in range(40))
    assert api.post("/runs/search", {"experiment_ids": [exp], "filter": flt}).status_code == 200
    r = api.post("/runs/search", {"experiment_ids": [exp],
                                  "order_by": [f"metrics.m{i}" for i in range(11)]})
    assert_error(r, 400, IPV, "order_by")


def test_files_the_server_writes_are_private_whatever_the_umask(spawn, tmp_path):
    old = os.umask(0o022)
    try:
        srv = spawn(home=tmp_path / "private-home")
    finally:
        os.umask(old)
    api = Api(srv.url)
    run = api.create_run(api.create_experiment(unique("modes")))
    api.log_batch(run, metrics=[{"key": "a", "value": 1, "timestamp": 1, "step": 0}])
    r = requests.put(f"{srv.url}/api/2.0/mlflow-artifacts/artifacts/x/y.txt", data=b"hi",
                     headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert r.status_code == 200, r.text
    home = srv.home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700  # no other account gets past the home
    sqlite = pg.backend() == "sqlite"  # on PostgreSQL the home holds no database files
    for name in ("mlws.db", "mlws.db-wal", "mlws.db-shm", "master.key")[0 if sqlite else 3:]:
        mode = stat.S_IMODE((home / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
    # A home left 0755 by an older server is tightened at the next start.
    srv.stop()
    os.chmod(home, 0o755)
    if sqlite:
        os.chmod(home / "mlws.db", 0o644)
    srv.start()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    if sqlite:
        assert stat.S_IMODE((home / "mlws.db").stat().st_mode) == 0o600
        assert (home / "mlws.db").exists() and (home / "mlws.db-wal").exists()


def test_a_workspace_cannot_store_past_its_quota(spawn, tmp_path):
    srv = spawn(extra_args=["--workspace-storage-quota-gb", str(3 / 1024)])  # 3 MiB
    api = Api(srv.url)
    run = api.create_run(api.create_experiment(unique("quota")))
    art = f"{srv.url}/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts"
    put = lambda name, n: requests.put(f"{art}/{name}", data=b"x" * n, timeout=30,  # noqa: E731
                                       headers={"Content-Type": "application/octet-stream"})
    assert put("a.bin", 2 << 20).status_code == 200
    r = put("b.bin", 2 << 20)
    assert_error(r, 413, "RESOURCE_EXHAUSTED", "storage quota")
    assert requests.get(f"{art}/b.bin", timeout=30).status_code == 404  # nothing kept
    assert put("c.bin", 512 << 10).status_code == 200  # what fits still goes in
    # Uploads count too: a folder that unpacks past what is left is refused whole.
    src = tmp_path / "up"
    src.mkdir()
    (src / "data.bin").write_bytes(os.urandom(1 << 20))
    archive = tmp_path / "up.tar.zst"
    subprocess.run(["tar", "--zstd", "-cf", str(archive), "-C", str(src), "data.bin"], check=True)
    with open(archive, "rb") as body:
        r = requests.put(f"{srv.url}/api/v1/workspaces/default/uploads/{'cd' * 32}", data=body,
                         headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert_error(r, 413, "RESOURCE_EXHAUSTED", "storage quota")
    # Another workspace has a quota of its own.
    requests.post(f"{srv.url}/api/v1/workspaces", json={"name": "other"},
                  timeout=30).raise_for_status()
    other = Api(srv.url, "other")
    run2 = other.create_run(other.create_experiment(unique("quota")))
    r = requests.put(f"{srv.url}/workspaces/other/api/2.0/mlflow-artifacts/artifacts/x/{run2}/f",
                     data=b"y" * (2 << 20), timeout=30,
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    health_ok(srv.url)
