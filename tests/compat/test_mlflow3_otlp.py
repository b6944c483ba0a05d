"""MLflow 3 traces sent over OTLP (``POST /v1/traces``) and read back with the 3.x client and
the ``traces/get`` / ``traces/batchGet`` routes.

The export bodies are built the way MLflow's own client builds them for a tracking server
(``RestStore.log_spans``: ``Span.to_otel_proto()`` per span, ``resource_to_otel_proto``, one
``ExportTraceServiceRequest`` in protobuf, the ``x-mlflow-experiment-id`` header), and in OTLP
JSON as an OpenTelemetry collector sends it. Runs against mlws and, through
scripts/mlflow3_reference.sh, against the real MLflow 3 server.
"""

from __future__ import annotations

import base64
import json
import os
import time

import pytest
import requests

from conftest import MLFLOW_MAJOR, error_code

if MLFLOW_MAJOR < 3:
    pytest.skip("OTLP trace ingest: needs a 3.x client", allow_module_level=True)

import mlflow  # noqa: E402
from google.protobuf.json_format import MessageToDict  # noqa: E402
from mlflow.entities import Span  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracing.utils.otlp import resource_to_otel_proto  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)
from opentelemetry.sdk.resources import Resource  # noqa: E402


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _span(trace_id: bytes, span_id: bytes, parent: bytes | None, name: str, start_ns: int,
          end_ns: int, attributes: dict, error: bool = False) -> Span:
    """An MLflow span from its stored dict form (attribute values JSON-encoded)."""
    attributes = {"mlflow.traceRequestId": "tr-" + trace_id.hex(), **attributes}
    return Span.from_dict({
        "trace_id": _b64(trace_id),
        "span_id": _b64(span_id),
        "parent_span_id": _b64(parent) if parent else None,
        "name": name,
        "start_time_unix_nano": start_ns,
        "end_time_unix_nano": end_ns,
        "events": [],
        "status": {"code": "STATUS_CODE_ERROR" if error else "STATUS_CODE_OK", "message": ""},
        "attributes": {k: json.dumps(v) for k, v in attributes.items()},
    })


def _export_request(spans: list[Span]) -> ExportTraceServiceRequest:
    """What RestStore.log_spans sends."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.CopyFrom(
        resource_to_otel_proto(Resource.create({"service.name": "compat-otlp"}))
    )
    resource_spans.scope_spans.add().spans.extend(s.to_otel_proto() for s in spans)
    return request


def _post(tracking_uri, body: bytes, content_type="application/x-protobuf", experiment_id=None,
          run_id=None):
    headers = {"Content-Type": content_type} if content_type else {}
    if experiment_id is not None:
        headers["x-mlflow-experiment-id"] = experiment_id
    if run_id is not None:
        headers["x-mlflow-run-id"] = run_id
    return requests.post(f"{tracking_uri}/v1/traces", data=body, headers=headers, timeout=30)


def _two_spans(inputs=None, outputs="done", error=False):
    trace_id, root, child = os.urandom(16), os.urandom(8), os.urandom(8)
    now = time.time_ns()
    spans = [
        _span(trace_id, root, None, "agent", now, now + 50_000_000,
              {"mlflow.spanType": "AGENT", "mlflow.spanInputs": inputs or {"question": "why?"},
               "mlflow.spanOutputs": outputs, "count": 3}, error=error),
        _span(trace_id, child, root, "llm-call", now + 10_000_000, now + 40_000_000,
              {"mlflow.spanType": "LLM", "mlflow.spanInputs": ["a", "b"], "temperature": 0.5}),
    ]
    return "tr-" + trace_id.hex(), spans


def _get(tracking_uri, path, **params):
    return requests.get(f"{tracking_uri}/api/3.0/mlflow/traces/{path}", params=params, timeout=30)


def test_protobuf_export_is_read_back_by_the_client(client, experiment_id, tracking_uri):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    trace_id, spans = _two_spans()
    r = _post(tracking_uri, _export_request(spans).SerializeToString(), experiment_id=experiment_id,
              run_id=run.info.run_id)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-protobuf")
    assert r.content == b""  # an empty ExportTraceServiceResponse

    trace = mlflow.get_trace(trace_id)  # the client calls traces/get for TRACKING_STORE spans
    assert trace.info.trace_id == trace_id
    assert trace.info.experiment_id == experiment_id
    assert trace.info.state.value == "OK"
    assert trace.info.execution_time_ms == 50
    assert trace.info.tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert json.loads(trace.info.request_preview) == {"question": "why?"}
    by_name = {s.name: s for s in trace.data.spans}
    assert set(by_name) == {"agent", "llm-call"}
    assert by_name["llm-call"].parent_id == by_name["agent"].span_id
    assert by_name["agent"].parent_id is None
    assert by_name["agent"].span_type == "AGENT"
    assert by_name["agent"].inputs == {"question": "why?"}
    assert by_name["agent"].outputs == "done"
    assert by_name["agent"].get_attribute("count") == 3
    assert by_name["llm-call"].inputs == ["a", "b"]
    assert by_name["llm-call"].get_attribute("temperature") == 0.5

    found = mlflow.search_traces(locations=[experiment_id], filter_string="span.name = 'llm-call'",
                                 return_type="list")
    assert [t.info.trace_id for t in found] == [trace_id]
    linked = mlflow.search_traces(locations=[experiment_id], run_id=run.info.run_id,
                                  return_type="list")
    assert [t.info.trace_id for t in linked] == [trace_id]


def test_traces_get_and_batch_get_wire_format(client, experiment_id, tracking_uri):
    trace_id, spans = _two_spans()
    assert _post(tracking_uri, _export_request(spans).SerializeToString(),
                 experiment_id=experiment_id).status_code == 200

    body = _get(tracking_uri, "get", trace_id=trace_id).json()
    info = body["trace"]["trace_info"]
    assert info["trace_id"] == trace_id
    assert info["trace_location"]["mlflow_experiment"]["experiment_id"] == experiment_id
    assert info["state"] == "OK"
    assert info["execution_duration"] == "0.050s"
    wire = {s["name"]: s for s in body["trace"]["spans"]}
    root, child = wire["agent"], wire["llm-call"]
    assert base64.b64decode(root["trace_id"]).hex() == trace_id[3:]
    assert child["parent_span_id"] == root["span_id"]
    assert "parent_span_id" not in root
    assert root["status"] == {"code": "STATUS_CODE_OK"}
    assert isinstance(root["start_time_unix_nano"], int)
    attrs = {a["key"]: a["value"] for a in root["attributes"]}
    assert attrs["mlflow.spanType"] == {"string_value": "AGENT"}
    assert attrs["count"] == {"int_value": 3}
    assert attrs["mlflow.traceRequestId"] == {"string_value": trace_id}
    assert attrs["mlflow.spanInputs"] == {
        "kvlist_value": {"values": [{"key": "question", "value": {"string_value": "why?"}}]}
    }

    batch = _get(tracking_uri, "batchGet", trace_ids=[trace_id, "tr-" + "0" * 32]).json()
    assert [t["trace_info"]["trace_id"] for t in batch["traces"]] == [trace_id]
    assert len(batch["traces"][0]["spans"]) == 2
    other = _get(tracking_uri, "batchGet", trace_ids=[trace_id], experiment_ids=["0"]).json()
    assert other.get("traces", []) == []

    r = _get(tracking_uri, "get", trace_id="tr-" + "0" * 32)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = _get(tracking_uri, "get")
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = _get(tracking_uri, "batchGet")
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_json_export_with_hex_ids(client, experiment_id, tracking_uri):
    trace_id, spans = _two_spans(error=True)
    doc = MessageToDict(_export_request(spans))
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in s:
                        s[field] = base64.b64decode(s[field]).hex()
    r = _post(tracking_uri, json.dumps(doc).encode(), content_type="application/json",
              experiment_id=experiment_id)
    assert r.status_code == 200, r.text
    trace = client.get_trace(trace_id)
    assert trace.info.state.value == "ERROR"
    assert sorted(s.name for s in trace.data.spans) == ["agent", "llm-call"]


def test_spans_of_one_trace_merge_across_requests(client, experiment_id, tracking_uri):
    trace_id, (root, child) = _two_spans()
    assert _post(tracking_uri, _export_request([child]).SerializeToString(),
                 experiment_id=experiment_id).status_code == 200
    partial = _get(tracking_uri, "get", trace_id=trace_id).json()["trace"]
    assert partial["trace_info"]["state"] == "IN_PROGRESS"
    assert [s["name"] for s in partial["spans"]] == ["llm-call"]

    assert _post(tracking_uri, _export_request([root, child]).SerializeToString(),
                 experiment_id=experiment_id).status_code == 200
    trace = client.get_trace(trace_id)
    assert trace.info.state.value == "OK"
    assert sorted(s.name for s in trace.data.spans) == ["agent", "llm-call"]  # no duplicate


def test_bad_exports_are_rejected_and_write_nothing(client, experiment_id, tracking_uri):
    trace_id, spans = _two_spans()
    body = _export_request(spans).SerializeToString()
    # A simple (CORS-safelisted) body type: MLflow 400, mlws's browser-safety layer 415 first.
    plain = _post(tracking_uri, body, content_type="text/plain", experiment_id=experiment_id)
    assert plain.status_code in (400, 415), plain.text
    cases = [
        (_post(tracking_uri, body, content_type=None, experiment_id=experiment_id), 400),
        (_post(tracking_uri, b"\xff\xff\xff", experiment_id=experiment_id), 400),
        (_post(tracking_uri, b"", experiment_id=experiment_id), 400),
        (_post(tracking_uri, b"{", content_type="application/json",
               experiment_id=experiment_id), 400),
        (_post(tracking_uri, b"{}", content_type="application/json",
               experiment_id=experiment_id), 400),
        (_post(tracking_uri, body, experiment_id="987654321"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
    # Without the experiment header: MLflow's FastAPI answers 422, mlws 400.
    assert _post(tracking_uri, body).status_code in (400, 422)
    assert cases[-1][0].json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as e:
        client.get_trace(trace_id)
    assert error_code(e) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
