"""Server basics: /health and /version, startup time, the JSON access log, the /ajax-api
prefix, repeated query parameters, DELETE bodies, and MLflow's JSON rendering conventions
(int64 as numbers, NaN/Infinity as strings, omitted defaults)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from mlws_testkit import pg
from conftest import ARTIFACTS, ML, Api, MlwsServer, assert_error, now_ms, strict_json, unique


# ---------------------------------------------------------------------------------------------
# health, version, startup
# ---------------------------------------------------------------------------------------------


def test_health(server):
    r = requests.get(server.url + "/health", timeout=10)
    assert r.status_code == 200
    assert r.text == "OK"
    assert r.headers["Content-Type"].startswith("text/plain")


def test_version(server):
    r = requests.get(server.url + "/version", timeout=10)
    assert r.status_code == 200
    assert r.text == "2.17.2"


def test_startup_under_one_second(tmp_path):
    srv = MlwsServer(tmp_path / "fresh-home", log_dir=tmp_path)
    srv.spawn()
    try:
        srv.wait_ready(timeout=20, poll_s=0.005)
        # On PostgreSQL the first start also creates the schema over the network (ten
        # migrations, each a committed transaction): allowed 2 s.
        bound = 2.0 if pg.backend() == "postgres" else 1.0
        assert srv.ready_after_s < bound, f"first /health 200 after {srv.ready_after_s:.3f} s"
        assert (tmp_path / "fresh-home").is_dir()
    finally:
        assert srv.stop() == 0


def test_restart_on_existing_home_is_fast(tmp_path):
    home = tmp_path / "home"
    first = MlwsServer(home, log_dir=tmp_path).start()
    api = Api(first.url)
    eid = api.create_experiment(unique("persist"))
    assert first.stop() == 0
    second = MlwsServer(home, log_dir=tmp_path)
    second.spawn()
    try:
        second.wait_ready(timeout=20, poll_s=0.005)
        assert second.ready_after_s < 1.0, second.ready_after_s
        api2 = Api(second.url)
        assert api2.ok(api2.get("/experiments/get", {"experiment_id": eid}))
    finally:
        assert second.stop() == 0


def test_store_and_artifact_location_flags(tmp_path):
    home, data = tmp_path / "home", tmp_path / "elsewhere"
    db, arts = data / "meta" / "custom.db", data / "arts"
    db.parent.mkdir(parents=True)
    flags = ["--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", f"file://{arts}"]
    srv = MlwsServer(home, log_dir=tmp_path, extra_args=flags).start()
    try:
        api = Api(srv.url)
        eid = api.create_experiment(unique("flags"))
        r = requests.put(f"{srv.url}{ARTIFACTS}/flags/f.txt", data=b"where am i", timeout=10)
        assert r.status_code == 200
    finally:
        assert srv.stop() == 0
    assert db.is_file()
    assert [p.read_bytes() for p in arts.rglob("f.txt")] == [b"where am i"]
    assert not list(home.rglob("*.db")) and not list(home.rglob("f.txt"))
    again = MlwsServer(home, log_dir=tmp_path, extra_args=flags).start()
    try:
        api = Api(again.url)
        assert api.ok(api.get("/experiments/get", {"experiment_id": eid}))
        assert requests.get(f"{again.url}{ARTIFACTS}/flags/f.txt", timeout=10).content == \
            b"where am i"
    finally:
        assert again.stop() == 0


def test_log_level_warn_has_no_access_log(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, extra_args=["--log-level", "warn"])
    srv.start()
    try:
        for _ in range(3):
            requests.get(srv.url + "/version", timeout=10)
        time.sleep(0.2)
        assert _request_lines(srv) == []
    finally:
        assert srv.stop() == 0


def test_port_in_use_fails_cleanly(server, tmp_path):
    clash = MlwsServer(tmp_path / "clash", log_dir=tmp_path, port=server.port)
    clash.spawn()
    code = clash.wait(10)
    assert code is not None and code != 0, "a second server on a busy port must exit non-zero"
    assert requests.get(server.url + "/health", timeout=10).text == "OK"


# ---------------------------------------------------------------------------------------------
# access log
# ---------------------------------------------------------------------------------------------


def _request_lines(srv: MlwsServer) -> list[dict]:
    out = []
    for line in srv.stderr_lines():
        idx = line.find(" request {")
        if idx >= 0:
            out.append(json.loads(line[idx + len(" request "):]))
    return out


def test_one_json_log_line_per_request(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        time.sleep(0.2)
        before = _request_lines(srv)
        assert all(x["path"] == "/health" and x["method"] == "GET" for x in before)
        s = requests.Session()
        ghost = unique("nope")
        expected = []

        def do(method, path, status, **kw):
            r = s.request(method, srv.url + path, timeout=10, **kw)
            assert r.status_code == status, (method, path, r.status_code, r.text)
            expected.append((method, path, status))

        do("GET", "/health", 200)
        do("GET", "/version", 200)
        do("POST", f"{ML}/experiments/create", 200, json={"name": unique("log")})
        do("POST", f"{ML}/experiments/create", 400, json={})
        do("GET", f"{ML}/{ghost}", 404)
        do("GET", f"{ML}/runs/create", 405)
        do("GET", f"{ML}/experiments/get", 200, params={"experiment_id": "0"})
        do("PUT", f"{ARTIFACTS}/log/a.txt", 200, data=b"abc")
        do("GET", f"{ARTIFACTS}/log/a.txt", 200)
        do("DELETE", f"{ARTIFACTS}/log/a.txt", 200)
        do("POST", "/api/v1/workspaces", 400, json={"name": "Bad Name"})

        deadline = time.monotonic() + 5
        while len(_request_lines(srv)) < len(before) + len(expected) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        lines = _request_lines(srv)
        assert len(lines) == len(before) + len(expected), lines[len(before):]
        got = [(x["method"], x["path"], x["status"]) for x in lines[len(before):]]
        assert got == expected
        # Each is a single line of JSON (json.loads above succeeded on the line alone).
        raw = [ln for ln in srv.stderr_lines() if " request {" in ln]
        assert len(raw) == len(lines)
    finally:
        assert srv.stop() == 0


def test_rejected_oversized_request_is_logged(tmp_path):
    """Requests the server refuses before a handler runs (413) are logged too."""
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        before = len(_request_lines(srv))
        body = b'{"name": "x", "pad": "' + b"x" * ((64 << 20) + 10) + b'"}'

        def gen():
            for i in range(0, len(body), 1 << 20):
                yield body[i:i + (1 << 20)]

        try:
            r = requests.post(f"{srv.url}{ML}/experiments/create", data=gen(), timeout=60,
                              headers={"Content-Type": "application/json"})
            assert r.status_code == 413, r.text[:200]
        except requests.ConnectionError:
            pass
        requests.get(srv.url + "/version", timeout=10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            lines = _request_lines(srv)[before:]
            if any(x["path"] == "/version" for x in lines):
                break
            time.sleep(0.05)
        lines = [(x["method"], x["path"], x["status"]) for x in _request_lines(srv)[before:]]
        assert ("POST", f"{ML}/experiments/create", 413) in lines, lines
    finally:
        assert srv.stop() == 0


# ---------------------------------------------------------------------------------------------
# prefixes
# ---------------------------------------------------------------------------------------------


def test_ajax_api_prefix(server):
    ajax = Api(server.url)
    name = unique("ajax")
    r = requests.post(f"{server.url}/ajax-api/2.0/mlflow/experiments/create", json={"name": name},
                      timeout=10)
    assert r.status_code == 200, r.text
    eid = strict_json(r)["experiment_id"]
    via_api = ajax.ok(ajax.get("/experiments/get", {"experiment_id": eid}))
    via_ajax = strict_json(requests.get(f"{server.url}/ajax-api/2.0/mlflow/experiments/get",
                                        params={"experiment_id": eid}, timeout=10))
    assert via_api == via_ajax
    assert via_api["experiment"]["name"] == name
    # Artifact proxy under /ajax-api too.
    r = requests.put(f"{server.url}/ajax-api/2.0/mlflow-artifacts/artifacts/ajax/f.txt",
                     data=b"via ajax", timeout=10)
    assert r.status_code == 200, r.text
    assert requests.get(f"{server.url}{ARTIFACTS}/ajax/f.txt", timeout=10).content == b"via ajax"
    r = requests.get(f"{server.url}/ajax-api/2.0/mlflow-artifacts/artifacts",
                     params={"path": "ajax"}, timeout=10)
    assert strict_json(r) == {"files": [{"path": "f.txt", "is_dir": False, "file_size": 8}]}


def test_workspace_default_prefix_is_root(server):
    root, dflt = Api(server.url), Api(server.url, "default")
    rid = root.create_run("0", run_name="rooted")
    assert dflt.get_run(rid) == root.get_run(rid)


# ---------------------------------------------------------------------------------------------
# query strings and bodies
# ---------------------------------------------------------------------------------------------


def test_repeated_query_params_bulk_interval(server):
    api = Api(server.url)
    eid = api.create_experiment(unique("bulk"))
    runs = [api.create_run(eid) for _ in range(3)]
    for i, rid in enumerate(runs):
        api.log_batch(rid, metrics=[{"key": "loss", "value": 10.0 * i + s, "timestamp": 100 + s,
                                     "step": s} for s in range(5)])
    path = f"{server.url}{ML}/metrics/get-history-bulk-interval"

    def fetch(query):
        r = requests.get(f"{path}?{query}", timeout=10)
        assert r.status_code == 200, r.text
        return strict_json(r)["metrics"]

    got = fetch(f"run_ids={runs[0]}&run_ids={runs[1]}&metric_key=loss")
    assert {m["run_id"] for m in got} == {runs[0], runs[1]}
    for i in (0, 1):
        pts = sorted((m["step"], m["value"], m["timestamp"]) for m in got
                     if m["run_id"] == runs[i])
        assert pts == [(s, 10.0 * i + s, 100 + s) for s in range(5)]
        assert all(m["key"] == "loss" for m in got)
    # Three repeated keys, and a single one.
    got = fetch("&".join(f"run_ids={r}" for r in runs) + "&metric_key=loss")
    assert {m["run_id"] for m in got} == set(runs) and len(got) == 15
    got = fetch(f"run_ids={runs[2]}&metric_key=loss")
    assert {m["run_id"] for m in got} == {runs[2]} and len(got) == 5
    # Step window.
    got = fetch(f"run_ids={runs[0]}&run_ids={runs[2]}&metric_key=loss&start_step=1&end_step=3")
    assert sorted((m["run_id"] == runs[2], m["step"]) for m in got) == \
        [(False, 1), (False, 2), (False, 3), (True, 1), (True, 2), (True, 3)]


def test_repeated_query_params_search_runs_get(server):
    api = Api(server.url)
    e1, e2, e3 = (api.create_experiment(unique("q")) for _ in range(3))
    r1, r2, r3 = api.create_run(e1), api.create_run(e2), api.create_run(e3)
    r = requests.get(f"{server.url}{ML}/runs/search?experiment_ids={e1}&experiment_ids={e2}",
                     timeout=10)
    assert r.status_code == 200, r.text
    assert sorted(x["info"]["run_id"] for x in strict_json(r)["runs"]) == sorted([r1, r2])
    r = requests.get(f"{server.url}{ML}/runs/search", timeout=10,
                     params={"experiment_ids": [e3], "filter": "attributes.status = 'RUNNING'"})
    assert [x["info"]["run_id"] for x in strict_json(r)["runs"]] == [r3]


def test_repeated_single_valued_param_takes_the_first(server):
    """As Flask's args.get(): a non-repeated field given twice uses its first value."""
    api = Api(server.url)
    rid = api.create_run("0")
    r = requests.get(f"{server.url}{ML}/runs/get?run_id={rid}&run_id={'0' * 32}", timeout=10)
    assert r.status_code == 200 and strict_json(r)["run"]["info"]["run_id"] == rid, r.text
    r = requests.get(f"{server.url}{ML}/runs/get?run_id={'0' * 32}&run_id={rid}", timeout=10)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_query_string_decoding(server):
    api = Api(server.url)
    name = unique("q s") + " a+b/c&d=e%"
    eid = api.create_experiment(name)
    from urllib.parse import quote, quote_plus

    for encoded in (quote_plus(name), quote(name, safe="")):
        r = requests.get(f"{server.url}{ML}/experiments/get-by-name?experiment_name={encoded}",
                         timeout=10)
        assert r.status_code == 200, (encoded, r.text)
        assert strict_json(r)["experiment"]["experiment_id"] == eid


def test_head_requests(server):
    """HEAD is answered like GET without a body (RFC 9110; Flask does it for every GET route)."""
    for path, length in (("/health", 2), ("/version", 6)):
        r = requests.head(server.url + path, timeout=10)
        assert r.status_code == 200, (path, r.status_code)
        assert r.content == b""
        assert int(r.headers.get("Content-Length", length)) == length


def test_delete_with_json_body(server):
    api = Api(server.url)
    r = api.post("/traces", {"experiment_id": "0", "timestamp_ms": now_ms(),
                             "tags": [{"key": "keep", "value": "1"}]})
    trace_id = api.ok(r)["trace_info"]["request_id"]
    url = f"{server.url}{ML}/traces/{trace_id}/tags"
    for k, v in [("k1", "v1"), ("k2", "v2")]:
        r = requests.patch(url, json={"key": k, "value": v}, timeout=10)
        assert r.status_code == 200 and strict_json(r) == {}, r.text

    def tags():
        info = api.ok(api.get(f"/traces/{trace_id}/info"))["trace_info"]
        return {t["key"]: t["value"] for t in info.get("tags", [])}

    assert {"keep": "1", "k1": "v1", "k2": "v2"}.items() <= tags().items()
    r = requests.delete(url, json={"key": "k1"}, timeout=10)
    assert r.status_code == 200 and strict_json(r) == {}, r.text
    t = tags()
    assert "k1" not in t and t["k2"] == "v2" and t["keep"] == "1"
    # Without a body the required key is missing: proves the body is what was read above.
    assert_error(requests.delete(url, timeout=10), 400, "INVALID_PARAMETER_VALUE", "key")
    # Deleting a tag that is not there.
    assert_error(requests.delete(url, json={"key": "k1"}, timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert tags()["k2"] == "v2"
    # Unknown trace.
    assert_error(requests.delete(f"{server.url}{ML}/traces/tr-{'0' * 32}/tags",
                                 json={"key": "k2"}, timeout=10), 404, "RESOURCE_DOES_NOT_EXIST")


def test_chunked_json_body(server):
    """A JSON body sent with chunked transfer encoding is read completely."""
    name = unique("chunked")
    payload = json.dumps({"name": name}).encode()

    def gen():
        for i in range(0, len(payload), 5):
            yield payload[i:i + 5]

    r = requests.post(f"{server.url}{ML}/experiments/create", data=gen(), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    api = Api(server.url)
    got = api.ok(api.get("/experiments/get-by-name", {"experiment_name": name}))
    assert got["experiment"]["experiment_id"] == strict_json(r)["experiment_id"]


def test_keep_alive_many_requests_one_connection(server):
    s = requests.Session()
    for _ in range(50):
        assert s.get(server.url + "/health", timeout=10).text == "OK"


# ---------------------------------------------------------------------------------------------
# JSON rendering
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def special_run(server):
    api = Api(server.url)
    eid = api.create_experiment(unique("render"))
    rid = api.create_run(eid, start_time=1732650000123, run_name="render")
    big_ts = 2 ** 53 + 1          # not representable as a double
    big_step = 2 ** 62 + 3
    api.log_batch(rid, metrics=[
        {"key": "nan", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "pinf", "value": "Infinity", "timestamp": 1, "step": 0},
        {"key": "ninf", "value": "-Infinity", "timestamp": 1, "step": 0},
        {"key": "big", "value": 1.5, "timestamp": big_ts, "step": big_step},
        {"key": "mixed", "value": 1.25, "timestamp": 10, "step": 0},
        {"key": "mixed", "value": "NaN", "timestamp": 11, "step": 1},
        {"key": "mixed", "value": "Infinity", "timestamp": 12, "step": 2},
        {"key": "mixed", "value": "-Infinity", "timestamp": 13, "step": 3},
    ])
    # Single-metric endpoint, too.
    api.ok(api.post("/runs/log-metric", {"run_id": rid, "key": "single_nan", "value": "NaN",
                                         "timestamp": 5, "step": 0}))
    return {"api": api, "exp": eid, "run": rid, "big_ts": big_ts, "big_step": big_step}


def test_nan_and_infinity_in_get_history(special_run):
    api, rid = special_run["api"], special_run["run"]
    for key, want in [("nan", "NaN"), ("pinf", "Infinity"), ("ninf", "-Infinity"),
                      ("single_nan", "NaN")]:
        r = api.get("/metrics/get-history", {"run_id": rid, "metric_key": key})
        hist = api.ok(r)["metrics"]  # strict_json: bare NaN / Infinity tokens would fail here
        assert [m["value"] for m in hist] == [want], (key, r.text)
    hist = api.ok(api.get("/metrics/get-history", {"run_id": rid, "metric_key": "mixed"}))
    assert sorted((m["step"], m["value"]) for m in hist["metrics"]) == [
        (0, 1.25), (1, "NaN"), (2, "Infinity"), (3, "-Infinity")]


def test_nan_and_infinity_in_runs_get_and_search(special_run):
    api, rid = special_run["api"], special_run["run"]
    latest = {m["key"]: m["value"] for m in api.get_run(rid)["data"]["metrics"]}
    assert latest["nan"] == "NaN"
    assert latest["pinf"] == "Infinity"
    assert latest["ninf"] == "-Infinity"
    assert latest["single_nan"] == "NaN"
    assert latest["mixed"] == "-Infinity"  # the latest step
    runs = api.runs([special_run["exp"]])
    latest = {m["key"]: m["value"] for m in runs[0]["data"]["metrics"]}
    assert (latest["nan"], latest["pinf"], latest["ninf"]) == ("NaN", "Infinity", "-Infinity")
    r = requests.get(f"{api.url}{ML}/metrics/get-history-bulk-interval", timeout=10,
                     params={"run_ids": rid, "metric_key": "mixed"})
    assert sorted((m["step"], m["value"]) for m in strict_json(r)["metrics"]) == [
        (0, 1.25), (1, "NaN"), (2, "Infinity"), (3, "-Infinity")]


def test_int64_fields_are_json_numbers(special_run):
    api, rid = special_run["api"], special_run["run"]
    r = api.get("/metrics/get-history", {"run_id": rid, "metric_key": "big"})
    (m,) = api.ok(r)["metrics"]
    assert type(m["timestamp"]) is int and m["timestamp"] == special_run["big_ts"], r.text
    assert type(m["step"]) is int and m["step"] == special_run["big_step"], r.text
    assert f'"timestamp":{special_run["big_ts"]}' in r.text.replace(" ", "")
    run = api.get_run(rid)
    info = run["info"]
    assert type(info["start_time"]) is int and info["start_time"] == 1732650000123
    big = [x for x in run["data"]["metrics"] if x["key"] == "big"][0]
    assert big["timestamp"] == special_run["big_ts"] and big["step"] == special_run["big_step"]
    exp = api.ok(api.get("/experiments/get", {"experiment_id": special_run["exp"]}))["experiment"]
    assert type(exp["creation_time"]) is int and type(exp["last_update_time"]) is int
    assert type(exp["experiment_id"]) is str  # ids are strings, not numbers
    upd = api.ok(api.post("/runs/update", {"run_id": rid, "status": "RUNNING",
                                           "end_time": 1732650009999}))
    assert type(upd["run_info"]["end_time"]) is int
    tr = api.ok(api.post("/traces", {"experiment_id": special_run["exp"],
                                     "timestamp_ms": 1732650000456}))["trace_info"]
    assert type(tr["timestamp_ms"]) is int and tr["timestamp_ms"] == 1732650000456
    ws = strict_json(requests.get(f"{api.url}/api/v1/workspaces/default", timeout=10))
    assert type(ws["workspace"]["creation_time"]) is int


def test_omitted_defaults_on_running_run(server):
    api = Api(server.url)
    eid = api.create_experiment(unique("omit"))
    created = api.ok(api.post("/runs/create", {"experiment_id": eid, "run_name": "bare"}))
    info = created["run"]["info"]
    assert info["status"] == "RUNNING"
    assert "end_time" not in info
    assert info["run_uuid"] == info["run_id"]
    data = created["run"]["data"]
    assert "metrics" not in data and "params" not in data  # empty repeated fields are omitted
    rid = info["run_id"]
    got = api.get_run(rid)
    assert "end_time" not in got["info"]
    assert "metrics" not in got["data"] and "params" not in got["data"]
    # After the run ends, end_time appears.
    api.ok(api.post("/runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 1234}))
    got = api.get_run(rid)
    assert got["info"]["end_time"] == 1234 and got["info"]["status"] == "FINISHED"


def test_empty_responses_omit_fields(server):
    api = Api(server.url)
    eid = api.create_experiment(unique("empty"))
    rid = api.create_run(eid)
    # No history for a key never logged, no runs for a filter matching nothing.
    assert api.ok(api.get("/metrics/get-history", {"run_id": rid, "metric_key": "never"})) == {}
    assert api.ok(api.post("/runs/search", {"experiment_ids": [eid],
                                            "filter": "metrics.x > 1"})) == {}
    assert api.ok(api.post("/runs/log-batch", {"run_id": rid})) == {}
    exp = api.ok(api.get("/experiments/get", {"experiment_id": eid}))["experiment"]
    assert "tags" not in exp


def test_trace_info_omits_empty_request_metadata(server):
    api = Api(server.url)
    info = api.ok(api.post("/traces", {"experiment_id": "0", "timestamp_ms": now_ms()}))[
        "trace_info"]
    assert info["status"] == "IN_PROGRESS"
    assert "request_metadata" not in info, f"empty repeated field rendered: {info}"


def test_json_content_type_and_strict_json(server):
    api = Api(server.url)
    for r in [api.get("/experiments/get", {"experiment_id": "0"}),
              api.post("/experiments/search", {}),
              api.get("/runs/get", {"run_id": "0" * 32})]:
        assert r.headers["Content-Type"].startswith("application/json")
        strict_json(r)


def test_float_values_round_trip(server):
    api = Api(server.url)
    rid = api.create_run("0")
    values = [0.1, 1e-300, 1.7976931348623157e308, -2.5e-8, 123456789.123456789, 0.0, -0.0,
              5e-324]
    api.log_batch(rid, metrics=[{"key": "f", "value": v, "timestamp": 1, "step": i}
                                for i, v in enumerate(values)])
    got = sorted((m["step"], m["value"]) for m in api.history(rid, "f"))
    assert [v for _, v in got] == values


def test_search_traces_empty_result_is_empty_object(server):
    api = Api(server.url)
    eid = api.create_experiment(unique("notraces"))
    r = requests.get(f"{server.url}{ML}/traces", params={"experiment_ids": eid}, timeout=10)
    assert r.status_code == 200, r.text
    assert strict_json(r) == {}, f"empty repeated field rendered: {r.text}"
