"""The PostgreSQL metadata backend as a user meets it (docs/scale-out.md): a postgresql:// URI
works end to end and survives a restart; an unreachable or malformed URI stops the server before
it listens, naming the URI with its password masked and the cause, within the connect timeout;
the password never appears in the log or in /metrics.

The tests that need a database use the shared throwaway cluster (mlws_testkit.pg) and skip,
saying so, only when PostgreSQL 15 is not installed.
"""

from __future__ import annotations

import time

import pytest
import requests

from conftest import Api, MlwsServer
from mlws_testkit import pg
from mlws_testkit.net import free_port

SECRET = "pw-Zq81xK"
needs_pg = pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")


def _refused(tmp_path, uri: str, within_s: float) -> str:
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     extra_args=["--backend-store-uri", uri])
    t0 = time.monotonic()
    srv.spawn()
    code = srv.wait(timeout=within_s)
    took = time.monotonic() - t0
    if code is None:
        srv.kill()
        pytest.fail(f"the server was still running after {within_s} s:\n{srv.stderr()}")
    assert code != 0, srv.stderr()
    assert took < within_s
    return srv.stderr()


def test_unreachable_database_stops_the_server_naming_the_masked_uri(tmp_path):
    port = free_port()  # nothing listens there
    err = _refused(tmp_path, f"postgresql://alice:{SECRET}@127.0.0.1:{port}/mlws", 15)
    assert f"postgresql://alice:***@127.0.0.1:{port}/mlws" in err, err
    assert "Connection refused" in err or "connection" in err.lower(), err
    assert SECRET not in err


def test_password_in_query_string_is_masked_too(tmp_path):
    port = free_port()
    err = _refused(tmp_path, f"postgresql://127.0.0.1:{port}/mlws?password={SECRET}", 15)
    assert "password=***" in err, err
    assert SECRET not in err


def test_malformed_uri_is_refused(tmp_path):
    err = _refused(tmp_path, f"postgresql://bob:{SECRET}@[::1/db", 15)
    assert "invalid PostgreSQL URI postgresql://bob:***@[::1/db" in err, err
    assert SECRET not in err


def test_unsupported_scheme_names_the_supported_ones(tmp_path):
    err = _refused(tmp_path, "mysql://u:p@localhost/db", 15)
    assert "postgresql://" in err and "sqlite://" in err, err


@needs_pg
def test_runs_live_in_postgres_across_a_restart_and_the_password_is_never_shown(tmp_path):
    uri = pg.cluster().new_database()
    # The throwaway cluster trusts local connections: a password in the URI is accepted (and
    # must still never be shown).
    with_pw = uri.replace("postgresql://mlws@", f"postgresql://mlws:{SECRET}@")
    home = tmp_path / "home"
    srv = MlwsServer(home, log_dir=tmp_path, extra_args=["--backend-store-uri", with_pw]).start()
    try:
        api = Api(srv.url)
        exp = api.create_experiment("pg-exp")
        run = api.create_run(exp)
        api.log_batch(run, metrics=[{"key": "loss", "value": 0.25, "timestamp": 1, "step": 0}],
                      params=[{"key": "lr", "value": "0.1"}], tags=[{"key": "t", "value": "Ü"}])
        metrics = requests.get(f"{srv.url}/metrics", timeout=10).text
        assert SECRET not in metrics
    finally:
        assert srv.stop() == 0, srv.stderr()
    log = srv.stderr()
    assert SECRET not in log
    assert "postgresql://mlws:***@" in log, log

    srv2 = MlwsServer(home, log_dir=tmp_path, extra_args=["--backend-store-uri", with_pw]).start()
    try:
        api = Api(srv2.url)
        got = api.get_run(run)
        assert got["data"]["params"] == [{"key": "lr", "value": "0.1"}]
        assert {"key": "t", "value": "Ü"} in got["data"]["tags"]
        assert got["data"]["metrics"][0]["value"] == 0.25
        found = api.ok(api.post("/runs/search", {
            "experiment_ids": [exp], "filter": "metrics.loss < 0.5 and params.lr = '0.1'"}))
        assert [r["info"]["run_id"] for r in found["runs"]] == [run]
    finally:
        assert srv2.stop() == 0, srv2.stderr()
    assert SECRET not in srv2.stderr()


@needs_pg
def test_text_with_a_nul_character_is_refused_and_changes_nothing(tmp_path):
    uri = pg.cluster().new_database()
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     extra_args=["--backend-store-uri", uri]).start()
    try:
        api = Api(srv.url)
        run = api.create_run("0")
        resp = api.post("/runs/log-batch",
                        {"run_id": run, "tags": [{"key": "t", "value": "a\u0000b"}]})
        assert resp.status_code == 400, resp.text
        assert "NUL" in resp.json()["message"]
        assert all(t["key"] != "t" for t in api.get_run(run)["data"].get("tags", []))
    finally:
        srv.stop()
