"""OTLP span export (POST /v1/traces) limits and isolation: oversized bodies answer 413,
unknown runs 404, compressed bodies 400, and none of them writes anything; a trace exported in
one workspace is not found in another. (The wire format itself is checked against the real
MLflow 3 server in tests/compat/test_mlflow3_otlp.py.)"""

from __future__ import annotations

import json
import os
import time

from conftest import assert_error, unique


def _body(trace_hex: str, pad: int = 0) -> bytes:
    now = time.time_ns()
    span = {"traceId": trace_hex, "spanId": os.urandom(8).hex(), "name": "root",
            "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1_000_000),
            "status": {"code": 1},
            "attributes": [{"key": "pad", "value": {"stringValue": "x" * pad}}]}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


def _export(api, body: bytes, exp: str, **headers):
    h = {"Content-Type": "application/json", "x-mlflow-experiment-id": exp, **headers}
    return api.s.post(api.prefix() + "/v1/traces", data=body, headers=h, timeout=60)


def _get(api, trace_id):
    return api.s.get(api.prefix() + "/api/3.0/mlflow/traces/get", params={"trace_id": trace_id},
                     timeout=30)


def test_rejected_exports_write_nothing(api):
    exp = api.create_experiment(unique("otlp"))
    trace_hex = os.urandom(16).hex()
    trace_id = "tr-" + trace_hex
    assert_error(_export(api, _body(trace_hex, pad=17 << 20), exp), 413,
                 ("INVALID_PARAMETER_VALUE", "PAYLOAD_TOO_LARGE", "REQUEST_LIMIT_EXCEEDED"))
    assert_error(_export(api, _body(trace_hex), exp, **{"x-mlflow-run-id": "0" * 32}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(_export(api, _body(trace_hex), exp, **{"Content-Encoding": "gzip"}), 400,
                 "INVALID_PARAMETER_VALUE", "Content-Encoding")
    assert_error(_get(api, trace_id), 404, "RESOURCE_DOES_NOT_EXIST")

    assert _export(api, _body(trace_hex), exp).status_code == 200
    spans = api.ok(_get(api, trace_id))["trace"]["spans"]
    assert [s["name"] for s in spans] == ["root"]


def test_exported_trace_stays_in_its_workspace(api):
    ws = unique("otlpws")
    assert api.s.post(api.url + "/api/v1/workspaces", json={"name": ws},
                      timeout=30).status_code == 201
    other = api.in_workspace(ws)
    exp = other.create_experiment(unique("otlp"))
    trace_hex = os.urandom(16).hex()
    assert _export(other, _body(trace_hex), exp).status_code == 200
    assert api.ok(_get(other, "tr-" + trace_hex))["trace"]["trace_info"]["trace_id"] == \
        "tr-" + trace_hex
    assert_error(_get(api, "tr-" + trace_hex), 404, "RESOURCE_DOES_NOT_EXIST")
