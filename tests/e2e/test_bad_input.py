"""Bad input: every malformed or invalid request gets the documented MLflow error, changes
nothing, and leaves the server serving.

Most tests use the ``unchanged`` fixture: it snapshots every experiment, run (info, latest
metrics, params, tags, full metric histories) and workspace before the test, and
``unchanged.verify()`` asserts the snapshot is identical afterwards and /health still answers.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from conftest import ML, Api, assert_error, health_ok, strict_json, unique

IPV = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
# A body that is not valid JSON (or not a JSON object) is a client error; MLflow's own error
# codes for it are INVALID_PARAMETER_VALUE or BAD_REQUEST (both HTTP 400).
BAD_BODY_CODES = ("BAD_REQUEST", IPV)

UNKNOWN_RUN = "0" * 32
UNKNOWN_EXP = "987654321"


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(api):
    """One experiment with a run holding known metrics / params / tags (the 'victim')."""
    exp = api.create_experiment(unique("bad-input"))
    run = api.create_run(exp, run_name="victim", start_time=1732650000000)
    api.log_batch(
        run,
        metrics=[{"key": "acc", "value": 0.5, "timestamp": 1000, "step": 0},
                 {"key": "acc", "value": 0.75, "timestamp": 2000, "step": 1},
                 {"key": "loss", "value": 2.5, "timestamp": 1000, "step": 0}],
        params=[{"key": "lr", "value": "0.01"}],
        tags=[{"key": "team", "value": "a"}],
    )
    return {"exp": exp, "run": run}


def snapshot(api: Api) -> dict:
    exps = api.experiments("ALL")
    exp_ids = [e["experiment_id"] for e in exps]
    runs = api.runs(exp_ids, "ALL") if exp_ids else []
    histories = {}
    for r in runs:
        rid = r["info"]["run_id"]
        for m in r["data"].get("metrics", []):
            histories[(rid, m["key"])] = api.history(rid, m["key"])
    ws = requests.get(api.url + "/api/v1/workspaces", timeout=30).json()["workspaces"]
    norm = lambda xs: sorted(json.dumps(x, sort_keys=True) for x in xs)  # noqa: E731
    return {
        "experiments": norm(exps),
        "runs": norm(runs),
        "histories": {f"{k[0]}/{k[1]}": norm(v) for k, v in histories.items()},
        "workspaces": norm(ws),
    }


class _Unchanged:
    def __init__(self, api: Api, url: str):
        self.api, self.url = api, url
        self.before = snapshot(api)

    def verify(self) -> None:
        health_ok(self.url)
        after = snapshot(self.api)
        for part in self.before:
            assert after[part] == self.before[part], f"a rejected request changed {part}"


@pytest.fixture
def unchanged(api, server, world) -> _Unchanged:
    return _Unchanged(api, server.url)


# ---------------------------------------------------------------------------------------------
# malformed bodies
# ---------------------------------------------------------------------------------------------

ENDPOINTS_WITH_BODY = [
    "/experiments/create", "/experiments/search", "/experiments/update", "/runs/create",
    "/runs/update", "/runs/log-metric", "/runs/log-parameter", "/runs/set-tag",
    "/runs/log-batch", "/runs/search", "/runs/delete",
]


@pytest.mark.parametrize("path", ENDPOINTS_WITH_BODY)
@pytest.mark.parametrize("body", ["{bad", '{"name": "x",', '{"key": }', "{'single': 1}"],
                         ids=["garbage", "truncated", "missing-value", "single-quotes"])
def test_malformed_json_body(api, world, unchanged, path, body):
    assert_error(api.post_raw(path, body), 400, BAD_BODY_CODES)
    unchanged.verify()


def test_malformed_body_with_valid_prefix_logs_nothing(api, world, unchanged):
    # A body that would be a valid log-batch if it were complete.
    good = json.dumps({"run_id": world["run"],
                       "metrics": [{"key": "acc", "value": 99, "timestamp": 5, "step": 9}],
                       "params": [{"key": "new_param", "value": "v"}]})
    assert_error(api.post_raw("/runs/log-batch", good[:-1]), 400, BAD_BODY_CODES)
    assert_error(api.post_raw("/runs/log-metric", json.dumps(
        {"run_id": world["run"], "key": "acc", "value": 99, "timestamp": 5})[:-1]), 400,
        BAD_BODY_CODES)
    unchanged.verify()


@pytest.mark.parametrize("path", ENDPOINTS_WITH_BODY)
@pytest.mark.parametrize("body", ['[{"name": "x"}]', "[]", "42"], ids=["array", "empty-array",
                                                                       "number"])
def test_body_not_a_json_object(api, world, unchanged, path, body):
    assert_error(api.post_raw(path, body), 400, BAD_BODY_CODES)
    unchanged.verify()


def test_array_body_wrapping_a_valid_log_batch(api, world, unchanged):
    body = json.dumps([{"run_id": world["run"],
                        "metrics": [{"key": "acc", "value": 99, "timestamp": 5, "step": 9}]}])
    assert_error(api.post_raw("/runs/log-batch", body), 400, BAD_BODY_CODES)
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# wrong types
# ---------------------------------------------------------------------------------------------


def _wrong_type_cases(w):
    run, exp = w["run"], w["exp"]
    return [
        ("experiment name as number", "/experiments/create", {"name": 12345}, "name"),
        ("experiment name as list", "/experiments/create", {"name": ["a"]}, "name"),
        ("experiment name as object", "/experiments/create", {"name": {"a": 1}}, "name"),
        ("search experiments max_results 'abc'", "/experiments/search",
         {"max_results": "abc"}, "max_results"),
        ("search runs max_results 'abc'", "/runs/search",
         {"experiment_ids": [exp], "max_results": "abc"}, "max_results"),
        ("search runs max_results 1.5", "/runs/search",
         {"experiment_ids": [exp], "max_results": 1.5}, "max_results"),
        ("log-metric value 'abc'", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": "abc", "timestamp": 1, "step": 7}, "value"),
        ("log-metric value as object", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": {"v": 1}, "timestamp": 1, "step": 7}, "value"),
        ("log-metric timestamp as object", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": {"t": 1}, "step": 7},
         "timestamp"),
        ("log-metric timestamp 'yesterday'", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": "yesterday", "step": 7},
         "timestamp"),
        ("log-metric step 'x'", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": 1, "step": "x"}, "step"),
        ("log-batch metric value 'abc'", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": "abc", "timestamp": 1, "step": 7}]},
         "value"),
        ("log-batch metric timestamp as object", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": 1, "timestamp": {}, "step": 7}]},
         "timestamp"),
        ("log-batch second metric bad (first must not be logged)", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": 1, "timestamp": 1, "step": 7},
                                     {"key": "acc", "value": "abc", "timestamp": 1, "step": 8}]},
         "value"),
        ("log-batch metrics not a list", "/runs/log-batch",
         {"run_id": run, "metrics": "acc=1"}, "metrics"),
        ("log-batch params not a list", "/runs/log-batch",
         {"run_id": run, "params": {"key": "p", "value": "v"}}, "params"),
        ("log-batch param value as object", "/runs/log-batch",
         {"run_id": run, "params": [{"key": "p", "value": {"a": 1}}]}, "value"),
        ("create run start_time 'yesterday'", "/runs/create",
         {"experiment_id": exp, "start_time": "yesterday"}, "start_time"),
        ("create run tags not a list", "/runs/create",
         {"experiment_id": exp, "tags": "k=v"}, "tags"),
        ("update run status 'SIDEWAYS'", "/runs/update",
         {"run_id": run, "status": "SIDEWAYS"}, "status"),
        ("search runs run_view_type 'SOMETIMES'", "/runs/search",
         {"experiment_ids": [exp], "run_view_type": "SOMETIMES"}, "run_view_type"),
        ("set-tag key as number", "/runs/set-tag",
         {"run_id": run, "key": 5, "value": "v"}, "key"),
    ]


_WT_IDS = [c[0] for c in _wrong_type_cases({"run": "r", "exp": "e"})]


@pytest.mark.parametrize("idx", range(len(_WT_IDS)), ids=_WT_IDS)
def test_wrong_types(api, world, unchanged, idx):
    _, path, body, field = _wrong_type_cases(world)[idx]
    assert_error(api.post(path, body), 400, IPV, field)
    unchanged.verify()


def _int64_overflow_cases(w):
    run, exp = w["run"], w["exp"]
    big, small = 2 ** 63, -(2 ** 63) - 1
    return [
        ("log-metric timestamp 2^63", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": big, "step": 7}, "timestamp"),
        ("log-metric step 2^63", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": 1, "step": big}, "step"),
        ("log-metric step -2^63-1", "/runs/log-metric",
         {"run_id": run, "key": "acc", "value": 1, "timestamp": 1, "step": small}, "step"),
        ("log-batch timestamp 2^63", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": 1, "timestamp": big, "step": 7}]},
         "timestamp"),
        ("log-batch step 2^63", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": 1, "timestamp": 1, "step": big}]},
         "step"),
        ("create run start_time 2^63", "/runs/create",
         {"experiment_id": exp, "start_time": big}, "start_time"),
        ("update run end_time 2^63", "/runs/update",
         {"run_id": run, "end_time": big}, "end_time"),
    ]


_OVF_IDS = [c[0] for c in _int64_overflow_cases({"run": "r", "exp": "e"})]


@pytest.mark.parametrize("idx", range(len(_OVF_IDS)), ids=_OVF_IDS)
def test_int64_out_of_range(api, world, unchanged, idx):
    """int64 fields outside the int64 range are refused (protobuf: 'out of range'), not
    silently wrapped around."""
    _, path, body, field = _int64_overflow_cases(world)[idx]
    assert_error(api.post(path, body), 400, IPV, field)
    unchanged.verify()


def test_wrong_type_in_query_string(api, world, unchanged):
    assert_error(api.get("/runs/search", {"experiment_ids": world["exp"], "max_results": "abc"}),
                 400, IPV, "max_results")
    assert_error(api.get("/experiments/search", {"max_results": "1e3x"}), 400, IPV,
                 "max_results")
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# missing required fields
# ---------------------------------------------------------------------------------------------


def _missing_cases(w):
    run, exp = w["run"], w["exp"]
    return [
        ("POST", "/experiments/create", {}, "'name'"),
        ("POST", "/experiments/create", {"name": ""}, "name"),
        ("GET", "/experiments/get", {}, "'experiment_id'"),
        ("GET", "/experiments/get-by-name", {}, "'experiment_name'"),
        ("POST", "/experiments/update", {"experiment_id": exp}, "new_name"),
        ("POST", "/experiments/delete", {}, "'experiment_id'"),
        ("GET", "/runs/get", {}, "'run_id'"),
        ("POST", "/runs/update", {"status": "FINISHED"}, "'run_id'"),
        ("POST", "/runs/delete", {}, "'run_id'"),
        ("POST", "/runs/log-metric", {"key": "acc", "value": 1, "timestamp": 1}, "'run_id'"),
        ("POST", "/runs/log-metric", {"run_id": run, "value": 1, "timestamp": 1}, "'key'"),
        ("POST", "/runs/log-metric", {"run_id": run, "key": "acc", "timestamp": 1}, "'value'"),
        ("POST", "/runs/log-metric", {"run_id": run, "key": "acc", "value": 1}, "'timestamp'"),
        ("POST", "/runs/log-parameter", {"run_id": run, "value": "v"}, "'key'"),
        ("POST", "/runs/set-tag", {"run_id": run, "value": "v"}, "'key'"),
        ("POST", "/runs/delete-tag", {"run_id": run}, "'key'"),
        ("POST", "/runs/log-batch", {"metrics": []}, "run_id"),
        ("POST", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "value": 1, "step": 3}]}, "timestamp"),
        ("POST", "/runs/log-batch",
         {"run_id": run, "metrics": [{"value": 1, "timestamp": 1, "step": 3}]}, "key"),
        ("POST", "/runs/log-batch",
         {"run_id": run, "metrics": [{"key": "acc", "timestamp": 1, "step": 3}]}, "value"),
        ("POST", "/runs/log-batch", {"run_id": run, "params": [{"value": "v"}]}, "key"),
        ("POST", "/runs/log-batch", {"run_id": run, "tags": [{"value": "v"}]}, "key"),
        ("GET", "/metrics/get-history", {"run_id": run}, "'metric_key'"),
        ("GET", "/metrics/get-history", {"metric_key": "acc"}, "'run_id'"),
        ("POST", "/traces", {"timestamp_ms": 1}, "'experiment_id'"),
    ]


_MISSING_IDS = [f"{c[0]} {c[1]} -> {c[3]}" for c in _missing_cases({"run": "r", "exp": "e"})]


@pytest.mark.parametrize("idx", range(len(_MISSING_IDS)), ids=_MISSING_IDS)
def test_missing_required_field(api, world, unchanged, idx):
    method, path, body, field = _missing_cases(world)[idx]
    resp = api.get(path, body) if method == "GET" else api.post(path, body)
    assert_error(resp, 400, IPV, field)
    unchanged.verify()


def test_missing_name_message_is_mlflows(api, world, unchanged):
    body = assert_error(api.post("/experiments/create", {}), 400, IPV)
    assert body["message"].startswith("Missing value for required parameter 'name'"), body
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# unknown ids
# ---------------------------------------------------------------------------------------------


def _unknown_run_cases(rid):
    m = {"key": "acc", "value": 1.0, "timestamp": 1, "step": 0}
    return [
        ("GET", "/runs/get", {"run_id": rid}),
        ("GET", "/runs/get", {"run_uuid": rid}),
        ("POST", "/runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 5}),
        ("POST", "/runs/delete", {"run_id": rid}),
        ("POST", "/runs/restore", {"run_id": rid}),
        ("POST", "/runs/log-metric", {"run_id": rid, **m}),
        ("POST", "/runs/log-parameter", {"run_id": rid, "key": "p", "value": "v"}),
        ("POST", "/runs/set-tag", {"run_id": rid, "key": "t", "value": "v"}),
        ("POST", "/runs/delete-tag", {"run_id": rid, "key": "t"}),
        ("POST", "/runs/log-batch", {"run_id": rid, "metrics": [m],
                                     "params": [{"key": "p", "value": "v"}]}),
        ("GET", "/metrics/get-history", {"run_id": rid, "metric_key": "acc"}),
    ]


_UR_IDS = [f"{c[0]} {c[1]} {'/'.join(c[2])}" for c in _unknown_run_cases("x")]


@pytest.mark.parametrize("rid", [UNKNOWN_RUN, "f" * 32, "no-such-run"])
@pytest.mark.parametrize("idx", range(len(_UR_IDS)), ids=_UR_IDS)
def test_unknown_run_id(api, world, unchanged, idx, rid):
    method, path, body = _unknown_run_cases(rid)[idx]
    resp = api.get(path, body) if method == "GET" else api.post(path, body)
    assert_error(resp, 404, NOT_FOUND)
    unchanged.verify()


def _unknown_exp_cases(eid):
    return [
        ("GET", "/experiments/get", {"experiment_id": eid}),
        ("POST", "/experiments/update", {"experiment_id": eid, "new_name": unique("ren")}),
        ("POST", "/experiments/delete", {"experiment_id": eid}),
        ("POST", "/experiments/restore", {"experiment_id": eid}),
        ("POST", "/experiments/set-experiment-tag", {"experiment_id": eid, "key": "k",
                                                      "value": "v"}),
        ("POST", "/runs/create", {"experiment_id": eid, "run_name": "orphan"}),
        ("POST", "/traces", {"experiment_id": eid, "timestamp_ms": 1}),
    ]


_UE_IDS = [f"{c[0]} {c[1]}" for c in _unknown_exp_cases("x")]


@pytest.mark.parametrize("idx", range(len(_UE_IDS)), ids=_UE_IDS)
def test_unknown_experiment_id(api, world, unchanged, idx):
    method, path, body = _unknown_exp_cases(UNKNOWN_EXP)[idx]
    resp = api.get(path, body) if method == "GET" else api.post(path, body)
    assert_error(resp, 404, NOT_FOUND)
    unchanged.verify()


def test_unknown_experiment_name(api, world, unchanged):
    resp = api.get("/experiments/get-by-name", {"experiment_name": unique("nope")})
    assert_error(resp, 404, NOT_FOUND)
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# search: filters, order_by, max_results, page tokens
# ---------------------------------------------------------------------------------------------

BAD_FILTERS = [
    "metrics.acc >",
    "foo.bar = 1",
    "params.x > 1",
    "params.x < '1'",
    "tags.t >= 'a'",
    "metrics.a = 'x'",
    "params.x = 1",
    "params.x = 'abc",
    'tags.t = "abc',
    "params.`x = 'a'",
    "metrics.a > 1 OR metrics.b > 1",
    "OR",
    "metrics.acc >> 1",
    "attributes.foo = 'x'",
    "tags.t IN ('a')",
    "= 1",
    "metrics.",
    "metrics.acc > 0.5 garbage",
]


@pytest.mark.parametrize("flt", BAD_FILTERS)
def test_bad_filter(api, world, unchanged, flt):
    assert_error(api.post("/runs/search", {"experiment_ids": [world["exp"]], "filter": flt}),
                 400, IPV)
    unchanged.verify()


@pytest.mark.parametrize("flt", ["metrics.acc >", "params.x = 'abc", "metrics.a > 1 OR metrics.b > 1"])
def test_bad_filter_in_query_string(api, world, unchanged, flt):
    assert_error(api.get("/runs/search", {"experiment_ids": world["exp"], "filter": flt}),
                 400, IPV)
    unchanged.verify()


def test_good_filter_control(api):
    """Positive control for the filter tests: the same shapes, valid, do match."""
    exp = api.create_experiment(unique("filter-control"))
    run = api.create_run(exp)
    api.log_batch(run, metrics=[{"key": "acc", "value": 0.75, "timestamp": 1, "step": 0}],
                  params=[{"key": "lr", "value": "0.01"}], tags=[{"key": "team", "value": "a"}])
    api.create_run(exp)  # a run without data, never matched
    for flt in ["metrics.acc > 0.5", "params.lr = '0.01'", "tags.team = 'a'",
                "metrics.acc = 0.75 AND params.lr != 'x'"]:
        page = api.ok(api.post("/runs/search", {"experiment_ids": [exp], "filter": flt}))
        assert [r["info"]["run_id"] for r in page.get("runs", [])] == [run], flt
    page = api.ok(api.post("/runs/search", {"experiment_ids": [exp],
                                            "filter": "metrics.acc > 0.8"}))
    assert page.get("runs", []) == []


@pytest.mark.parametrize("order", ["metrics.x SIDEWAYS", "foo.bar", "attributes.nonexistent",
                                   "metrics.", "metrics.x ASC DESC", "", "params.`lr DESC"])
def test_bad_run_order_by(api, world, unchanged, order):
    assert_error(api.post("/runs/search", {"experiment_ids": [world["exp"]],
                                           "order_by": [order]}), 400, IPV)
    unchanged.verify()


@pytest.mark.parametrize("order", ["foo", "name SIDEWAYS", "tags.x"])
def test_bad_experiment_order_by(api, world, unchanged, order):
    assert_error(api.post("/experiments/search", {"order_by": [order]}), 400, IPV)
    unchanged.verify()


@pytest.mark.parametrize("path", ["/runs/search", "/experiments/search"])
@pytest.mark.parametrize("value", [0, 50001, -1])
def test_bad_max_results(api, world, unchanged, path, value):
    body = {"max_results": value}
    if path == "/runs/search":
        body["experiment_ids"] = [world["exp"]]
    assert_error(api.post(path, body), 400, IPV, "max_results")
    unchanged.verify()


def test_max_results_boundary_control(api, world):
    page = api.ok(api.post("/runs/search", {"experiment_ids": [world["exp"]],
                                            "max_results": 50000}))
    assert world["run"] in [r["info"]["run_id"] for r in page["runs"]]
    page = api.ok(api.post("/experiments/search", {"max_results": 50000}))
    assert world["exp"] in [e["experiment_id"] for e in page["experiments"]]


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


BAD_TOKENS = ["abc", "!!!!", "not a token", _b64("not json"), _b64('{"x": 1}'),
              _b64('{"offset": -1}'), _b64('{"offset": "ten"}'), _b64("[1, 2]"), "%%%%"]


@pytest.mark.parametrize("path", ["/runs/search", "/experiments/search"])
@pytest.mark.parametrize("token", BAD_TOKENS)
def test_invalid_page_token(api, world, unchanged, path, token):
    body = {"page_token": token, "max_results": 10}
    if path == "/runs/search":
        body["experiment_ids"] = [world["exp"]]
    assert_error(api.post(path, body), 400, IPV)
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# log-batch limits
# ---------------------------------------------------------------------------------------------


def _metrics(n, key="m"):
    return [{"key": key, "value": float(i), "timestamp": 1000 + i, "step": i} for i in range(n)]


def test_log_batch_1001_metrics(api, world, unchanged):
    body = {"run_id": world["run"], "metrics": _metrics(1001)}
    assert_error(api.post("/runs/log-batch", body), 400, IPV, "1000")
    unchanged.verify()


def test_log_batch_101_params(api, world, unchanged):
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    assert_error(api.post("/runs/log-batch", {"run_id": world["run"], "params": params}),
                 400, IPV, "100")
    unchanged.verify()


def test_log_batch_101_tags(api, world, unchanged):
    tags = [{"key": f"t{i}", "value": "v"} for i in range(101)]
    assert_error(api.post("/runs/log-batch", {"run_id": world["run"], "tags": tags}),
                 400, IPV, "100")
    unchanged.verify()


def test_log_batch_over_1000_entities(api, world, unchanged):
    body = {"run_id": world["run"], "metrics": _metrics(950),
            "params": [{"key": f"p{i}", "value": "v"} for i in range(30)],
            "tags": [{"key": f"t{i}", "value": "v"} for i in range(30)]}
    assert_error(api.post("/runs/log-batch", body), 400, IPV, "1000")
    unchanged.verify()


def _big_batch(run_id: str, tag_value_len: int) -> str:
    body = json.dumps({
        "run_id": run_id,
        "params": [{"key": f"big_p{i:03d}", "value": "p" * 6000} for i in range(100)],
        "tags": [{"key": f"big_t{i:03d}", "value": "t" * tag_value_len} for i in range(100)],
    })
    return body


def test_log_batch_body_over_1mb(api, world, unchanged):
    # Every entity is within its own limits; only the request size (> 1,000,000 bytes of real
    # content, no padding) is over.
    body = _big_batch(world["run"], 4200)
    assert len(body) > 1_000_000
    assert_error(api.post_raw("/runs/log-batch", body), 400, IPV)
    unchanged.verify()


def test_log_batch_limits_boundary_control(api, world):
    """Exactly at every limit is accepted (positive control for the tests above)."""
    exp = world["exp"]
    run = api.create_run(exp, run_name="limits-control")
    api.log_batch(run, metrics=_metrics(1000))
    assert len(api.history(run, "m")) == 1000
    run2 = api.create_run(exp, run_name="limits-control-2")
    api.log_batch(run2, params=[{"key": f"p{i}", "value": "v"} for i in range(100)],
                  tags=[{"key": f"t{i}", "value": "v"} for i in range(100)],
                  metrics=_metrics(800))
    data = api.get_run(run2)["data"]
    assert len(data["params"]) == 100
    assert {f"t{i}" for i in range(100)} <= {t["key"] for t in data["tags"]}
    run3 = api.create_run(exp, run_name="limits-control-3")
    body = _big_batch(run3, 3880)
    assert 990_000 < len(body) < 1_000_000
    api.ok(api.post_raw("/runs/log-batch", body))
    data = api.get_run(run3)["data"]
    assert len(data["params"]) == 100
    assert sum(1 for t in data["tags"] if t["key"].startswith("big_t")) == 100


# ---------------------------------------------------------------------------------------------
# keys and values
# ---------------------------------------------------------------------------------------------

BAD_KEYS = ["a/../b", "..", "../x", "x/..", "/lead", "trail/", "a//b", "./a", "a/./b",
            "bad!char", "semi;colon", "new\nline", "back\\slash", 'q"uote', "star*",
            "k" * 251]
_BK_IDS = [repr(k) if len(k) < 40 else "251-chars" for k in BAD_KEYS]


@pytest.mark.parametrize("key", BAD_KEYS, ids=_BK_IDS)
@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
def test_bad_key_log_batch(api, world, unchanged, kind, key):
    body = {"run_id": world["run"]}
    if kind == "metric":
        body["metrics"] = [{"key": key, "value": 1.0, "timestamp": 1, "step": 0}]
    else:
        body[kind + "s"] = [{"key": key, "value": "v"}]
    assert_error(api.post("/runs/log-batch", body), 400, IPV)
    unchanged.verify()


@pytest.mark.parametrize("key", BAD_KEYS, ids=_BK_IDS)
@pytest.mark.parametrize("path", ["/runs/log-metric", "/runs/log-parameter", "/runs/set-tag"])
def test_bad_key_single(api, world, unchanged, path, key):
    body = {"run_id": world["run"], "key": key}
    body.update({"value": 1.0, "timestamp": 1} if path == "/runs/log-metric" else {"value": "v"})
    assert_error(api.post(path, body), 400, IPV)
    unchanged.verify()


def test_bad_key_in_create_run_tags(api, world, unchanged):
    resp = api.post("/runs/create", {"experiment_id": world["exp"],
                                     "tags": [{"key": "../escape", "value": "v"}]})
    assert_error(resp, 400, IPV)
    unchanged.verify()


def test_good_keys_control(api, world):
    run = api.create_run(world["exp"], run_name="keys-control")
    keys = ["a/b", "x:y", "with space", "dots.in.key", "dash-key", "under_score", "k" * 250]
    api.log_batch(run, metrics=[{"key": k, "value": 1.0, "timestamp": 1, "step": 0} for k in keys],
                  params=[{"key": k, "value": "v"} for k in keys],
                  tags=[{"key": k, "value": "v"} for k in keys])
    data = api.get_run(run)["data"]
    assert {m["key"] for m in data["metrics"]} == set(keys)
    assert {p["key"] for p in data["params"]} == set(keys)
    assert set(keys) <= {t["key"] for t in data["tags"]}


def test_param_value_over_6000(api, world, unchanged):
    run = world["run"]
    assert_error(api.post("/runs/log-parameter", {"run_id": run, "key": "long",
                                                  "value": "x" * 6001}), 400, IPV)
    assert_error(api.post("/runs/log-batch", {"run_id": run, "params": [
        {"key": "long", "value": "x" * 6001}]}), 400, IPV)
    unchanged.verify()


def test_tag_value_over_8000(api, world, unchanged):
    run = world["run"]
    assert_error(api.post("/runs/set-tag", {"run_id": run, "key": "long",
                                            "value": "x" * 8001}), 400, IPV)
    assert_error(api.post("/runs/log-batch", {"run_id": run, "tags": [
        {"key": "long", "value": "x" * 8001}]}), 400, IPV)
    assert_error(api.post("/runs/create", {"experiment_id": world["exp"], "tags": [
        {"key": "long", "value": "x" * 8001}]}), 400, IPV)
    unchanged.verify()


def test_value_length_boundary_control(api, world):
    run = api.create_run(world["exp"], run_name="values-control")
    api.ok(api.post("/runs/log-parameter", {"run_id": run, "key": "p6000", "value": "x" * 6000}))
    api.ok(api.post("/runs/set-tag", {"run_id": run, "key": "t8000", "value": "y" * 8000}))
    data = api.get_run(run)["data"]
    assert {"key": "p6000", "value": "x" * 6000} in data["params"]
    assert {"key": "t8000", "value": "y" * 8000} in data["tags"]


def test_experiment_name_over_500(api, world, unchanged):
    assert_error(api.post("/experiments/create", {"name": "n" * 501}), 400, IPV)
    assert_error(api.post("/experiments/update", {"experiment_id": world["exp"],
                                                  "new_name": "n" * 501}), 400, IPV)
    unchanged.verify()


def test_experiment_name_500_control(api):
    name = unique("n")
    name += "n" * (500 - len(name))
    eid = api.create_experiment(name)
    assert api.ok(api.get("/experiments/get", {"experiment_id": eid}))["experiment"]["name"] \
        == name


def test_param_overwrite_with_different_value(api, world, unchanged):
    # Params are immutable: re-logging lr with a new value is refused, the old value stays.
    assert_error(api.post("/runs/log-parameter", {"run_id": world["run"], "key": "lr",
                                                  "value": "0.5"}), 400, IPV)
    assert_error(api.post("/runs/log-batch", {"run_id": world["run"], "params": [
        {"key": "lr", "value": "0.5"}]}), 400, IPV)
    unchanged.verify()


# ---------------------------------------------------------------------------------------------
# routing errors
# ---------------------------------------------------------------------------------------------

UNKNOWN_ENDPOINTS = [
    ("GET", "/api/2.0/mlflow/nope"),
    ("POST", "/api/2.0/mlflow/runs/nope"),
    ("GET", "/api/2.0/mlflow/runs/get/extra"),
    ("GET", "/ajax-api/2.0/mlflow/nope"),
    ("POST", "/api/2.0/nope"),
    ("GET", "/api/2.1/mlflow/runs/get"),
    ("GET", "/nope"),
    ("GET", "/workspaces/default/api/2.0/mlflow/nope"),
    ("DELETE", "/api/v1/nope"),
]


@pytest.mark.parametrize("method,path", UNKNOWN_ENDPOINTS)
def test_unknown_endpoint(server, world, unchanged, method, path):
    resp = requests.request(method, server.url + path, json={}, timeout=10)
    assert_error(resp, 404, "ENDPOINT_NOT_FOUND")
    unchanged.verify()


WRONG_METHODS = [
    ("GET", "/api/2.0/mlflow/runs/create"),
    ("PUT", "/api/2.0/mlflow/experiments/create"),
    ("DELETE", "/api/2.0/mlflow/runs/log-batch"),
    ("POST", "/api/2.0/mlflow/metrics/get-history"),
    ("PATCH", "/api/2.0/mlflow/runs/get"),
    ("GET", "/ajax-api/2.0/mlflow/runs/log-batch"),
    ("GET", "/workspaces/default/api/2.0/mlflow/runs/create"),
    ("POST", "/health"),
    ("DELETE", "/version"),
    ("PATCH", "/api/v1/workspaces"),
    ("POST", "/api/v1/workspaces/default"),
    ("POST", "/api/2.0/mlflow-artifacts/artifacts/some/file.txt"),
]


@pytest.mark.parametrize("method,path", WRONG_METHODS)
def test_wrong_method(server, world, unchanged, method, path):
    # A body that would be valid for the right method must not be acted on.
    body = {"run_id": world["run"], "experiment_id": world["exp"], "name": unique("wm"),
            "metrics": [{"key": "acc", "value": 42, "timestamp": 1, "step": 99}]}
    resp = requests.request(method, server.url + path, json=body, timeout=10)
    assert resp.status_code == 405, (method, path, resp.status_code, resp.text)
    err = strict_json(resp)
    assert err.get("error_code") and err.get("message"), err
    unchanged.verify()


def test_server_survives_garbage_http(server, world, unchanged):
    """Raw junk on the socket does not kill the server."""
    import socket

    for junk in [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\xff" * 100,
                 b"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nContent-Length: 99999999999"
                 b"999999999\r\n\r\n"]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(junk)
            try:
                s.shutdown(socket.SHUT_WR)
                s.recv(4096)
            except OSError:
                pass
    unchanged.verify()


def test_health_after_everything(server):
    health_ok(server.url)
    assert server.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# body size limit (JSON bodies > 64 MiB -> 413)
# ---------------------------------------------------------------------------------------------

JSON_LIMIT = 64 << 20


def _oversized_create_body(name: str) -> bytes:
    """A VALID experiments/create body (unknown fields are ignored) just over 64 MiB: if the
    server accepted it, the experiment would be created."""
    prefix = json.dumps({"name": name})[:-1].encode() + b', "pad": "'
    suffix = b'"}'
    return prefix + b"x" * (JSON_LIMIT + 1024 - len(prefix) - len(suffix)) + suffix


def _send_with_content_length(port: int, path: str, body: bytes) -> tuple[int | None, bytes]:
    """Sends headers (with Content-Length) and then the body in 1 MiB pieces, stopping as soon
    as the server answers. Returns (status or None if the connection died first, raw answer)."""
    import select
    import socket

    s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
    answer = b""
    try:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                  f"\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        sent = 0
        while sent < len(body):
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break  # the server answered before taking the whole body
            try:
                s.sendall(body[sent:sent + (1 << 20)])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1 << 20
        try:
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, TimeoutError, socket.timeout):
            pass
    finally:
        s.close()
    if not answer.startswith(b"HTTP/1.1 "):
        return None, answer
    return int(answer.split(b" ", 2)[1]), answer


def test_json_body_over_64mib_with_content_length_is_413(api, server, world, unchanged):
    name = unique("huge-cl")
    status, answer = _send_with_content_length(server.port, f"{ML}/experiments/create",
                                               _oversized_create_body(name))
    assert status == 413, f"expected 413 for a {JSON_LIMIT + 1024}-byte JSON body, got " \
                          f"{status}: {answer[:300]!r}"
    assert_error(api.get("/experiments/get-by-name", {"experiment_name": name}), 404, NOT_FOUND)
    unchanged.verify()


def test_json_body_over_64mib_chunked_is_413(api, server, world, unchanged):
    name = unique("huge-chunked")
    body = _oversized_create_body(name)

    def gen():
        for i in range(0, len(body), 1 << 20):
            yield body[i:i + (1 << 20)]

    try:
        r = requests.post(f"{server.url}{ML}/experiments/create", data=gen(), timeout=60,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 413, (r.status_code, r.text[:300])
    except requests.ConnectionError:
        pass  # the server may close before the client finished sending; checked below
    assert_error(api.get("/experiments/get-by-name", {"experiment_name": name}), 404, NOT_FOUND)
    unchanged.verify()


def test_json_body_just_under_64mib_is_read(api, world):
    """Control: the limit is the limit (a valid 60 MiB body is read and acted on)."""
    name = unique("big-ok")
    prefix = json.dumps({"name": name})[:-1].encode() + b', "pad": "'
    body = prefix + b"x" * (60 << 20) + b'"}'
    r = api.post_raw("/experiments/create", body)
    assert r.status_code == 200, r.text[:300]
    assert api.ok(api.get("/experiments/get-by-name", {"experiment_name": name}))
