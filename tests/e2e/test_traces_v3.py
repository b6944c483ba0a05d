"""MLflow 3 (v3) traces over REST: the client's trace id is kept, and bad input answers with
MLflow's error codes (404 unknown ids, 400 naming the bad filter token, 413 oversized payloads)
and changes nothing."""

from __future__ import annotations

import requests

from conftest import assert_error, unique

V3 = "/api/3.0/mlflow/traces"
IPV = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"


def _info(exp, trace_id, **extra):
    return {"trace_id": trace_id,
            "trace_location": {"type": "MLFLOW_EXPERIMENT",
                               "mlflow_experiment": {"experiment_id": exp}},
            "request_time": "2026-01-02T03:04:05.250Z", "execution_duration": "1.5s",
            "state": "OK", "trace_metadata": {"mlflow.traceInputs": "{}"},
            "tags": {"mlflow.traceName": "root"}, **extra}


def _v3(api, method, path="", **kw):
    return api.s.request(method, api.prefix() + V3 + path, timeout=30, **kw)


def test_start_get_search_keep_client_id(api):
    exp = api.create_experiment(unique("t3"))
    tid = "tr-" + "a" * 32
    out = api.ok(_v3(api, "POST", json={"trace": {"trace_info": _info(exp, tid)}}))
    info = out["trace"]["trace_info"]
    assert info["trace_id"] == tid
    assert info["tags"]["mlflow.artifactLocation"] == \
        f"mlflow-artifacts:/{exp}/traces/{tid}/artifacts"
    got = api.ok(_v3(api, "GET", f"/{tid}"))["trace"]["trace_info"]
    assert got == info
    found = api.ok(_v3(api, "POST", "/search", json={
        "locations": [{"mlflow_experiment": {"experiment_id": exp}}],
        "filter": "trace.execution_time_ms > 1000 AND trace.timestamp_ms > 0"}))
    assert [t["trace_id"] for t in found["traces"]] == [tid]


def test_bad_input(api):
    exp = api.create_experiment(unique("t3-bad"))
    tid = "tr-" + "b" * 32
    api.ok(_v3(api, "POST", json={"trace": {"trace_info": _info(exp, tid)}}))
    before = api.ok(_v3(api, "GET", f"/{tid}"))

    assert_error(_v3(api, "GET", "/tr-" + "0" * 32), 404, NOT_FOUND)
    assert_error(_v3(api, "POST", json={"trace": {"trace_info": _info("987654321", tid)}}), 404,
                 NOT_FOUND)
    assert_error(_v3(api, "POST", json={"trace": {"trace_info": _info(exp, "tr-../x")}}), 400,
                 IPV)
    assert_error(_v3(api, "POST", json={"trace": {"trace_info": _info(
        exp, tid, request_time="yesterday")}}), 400, IPV, "yesterday")
    big = {"trace": {"trace_info": _info(exp, tid, request_preview="x" * (3 << 20))}}
    assert_error(_v3(api, "POST", json=big), 413, ("INVALID_PARAMETER_VALUE", "BAD_REQUEST",
                                                   "REQUEST_LIMIT_EXCEEDED", "PAYLOAD_TOO_LARGE"))
    assert_error(_v3(api, "POST", "/search", json={
        "locations": [{"mlflow_experiment": {"experiment_id": exp}}],
        "filter": "trace.status = 'OK' AND bogus.key = 'x'"}), 400, IPV, "bogus")
    assert_error(_v3(api, "POST", "/search", json={
        "locations": [{"mlflow_experiment": {"experiment_id": exp}}],
        "filter": "span.colour = 'x'"}), 400, IPV, "colour")
    assert_error(_v3(api, "GET", f"/{tid}/assessments/a-none"), 404, NOT_FOUND, "a-none")
    assert_error(_v3(api, "POST", f"/{tid}/assessments", json={"assessment": {
        "assessment_name": "q", "source": {"source_type": "HUMAN"}}}), 400, IPV)
    assert_error(_v3(api, "POST", "/tr-none/assessments", json={"assessment": {
        "assessment_name": "q", "source": {"source_type": "HUMAN"},
        "feedback": {"value": 1}}}), 404, NOT_FOUND)
    assert_error(api.post("/traces/link-to-run", {"trace_ids": [tid], "run_id": "0" * 32}), 404,
                 NOT_FOUND)

    assert api.ok(_v3(api, "GET", f"/{tid}")) == before


def test_other_workspace_cannot_see_trace(api, server):
    requests.post(server.url + "/api/v1/workspaces", json={"name": "t3-other"}, timeout=30)
    exp = api.create_experiment(unique("t3-ws"))
    tid = "tr-" + "c" * 32
    api.ok(_v3(api, "POST", json={"trace": {"trace_info": _info(exp, tid)}}))
    other = api.in_workspace("t3-other")
    assert_error(_v3(other, "GET", f"/{tid}"), 404, NOT_FOUND)


def test_time_only_search_pages_like_the_general_search(api):
    """Filters and order on trace.timestamp_ms alone are served from the stored request times
    (no trace document read but the page's); the result must equal the general evaluation's,
    which a no-op state filter forces."""
    exp = api.create_experiment(unique("t3-time"))
    times = ["2026-01-02T03:04:05.100Z", "2026-01-02T03:04:05.300Z", "2026-01-02T03:04:05.300Z",
             "2026-01-02T03:04:05.200Z", "2026-01-02T03:04:05.500Z"]
    for i, t in enumerate(times):
        api.ok(_v3(api, "POST", json={"trace": {"trace_info": _info(
            exp, f"tr-time{i}", request_time=t)}}))

    def pages(filter_, order_by):
        ids, token = [], None
        while True:
            body = {"locations": [{"mlflow_experiment": {"experiment_id": exp}}],
                    "filter": filter_, "order_by": order_by, "max_results": 2}
            if token:
                body["page_token"] = token
            out = api.ok(_v3(api, "POST", "/search", json=body))
            ids += [t["trace_id"] for t in out["traces"]]
            token = out.get("next_page_token")
            if not token:
                return ids

    assert pages("", []) == ["tr-time4", "tr-time1", "tr-time2", "tr-time3", "tr-time0"]
    for filter_, order_by in [("", []), ("trace.timestamp_ms >= 1767323045200", ["timestamp_ms ASC"]),
                              ("timestamp_ms < 1767323045500", ["trace.timestamp_ms DESC"])]:
        general = pages((filter_ + " AND " if filter_ else "") + "trace.status = 'OK'", order_by)
        assert pages(filter_, order_by) == general, (filter_, order_by)
    assert pages("trace.timestamp_ms >= 1767323045200", ["timestamp_ms ASC"]) == \
        ["tr-time3", "tr-time1", "tr-time2", "tr-time4"]
