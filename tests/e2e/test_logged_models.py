"""MLflow 3 logged models over the REST API: wire format, and bad input that must answer with
MLflow's error codes and change nothing (unknown ids, malformed filters, bad statuses, metrics
linked to unknown models)."""

from __future__ import annotations

import requests

from conftest import ML, assert_error, now_ms, unique

IPV = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
UNKNOWN = "m-" + "0" * 32


def _create(api, exp, **extra):
    body = {"experiment_id": exp, "name": extra.pop("name", "model"), **extra}
    return api.ok(api.post("/logged-models", body))["model"]


def _model(api, model_id):
    return api.ok(api.get(f"/logged-models/{model_id}"))["model"]


def _patch(api, path, body):
    return api.s.patch(api.prefix() + ML + path, json=body, timeout=30)


def _delete(api, path, body=None):
    return api.s.delete(api.prefix() + ML + path, json=body, timeout=30)


def test_create_renders_mlflow_wire_format(api):
    exp = api.create_experiment(unique("lm"))
    m = _create(api, exp, name="wire", model_type="clf", params=[{"key": "a", "value": "1"}],
                tags=[{"key": "t", "value": "v"}])
    info = m["info"]
    assert info["model_id"].startswith("m-") and len(info["model_id"]) == 34
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/models/{info['model_id']}/artifacts"
    assert info["tags"] == [{"key": "t", "value": "v"}]
    assert m["data"]["params"] == [{"key": "a", "value": "1"}]
    done = api.ok(_patch(api, f"/logged-models/{info['model_id']}",
                         {"model_id": info["model_id"], "status": "LOGGED_MODEL_READY"}))
    assert done["model"]["info"]["status"] == "LOGGED_MODEL_READY"


def test_unknown_model_ids_are_404(api):
    assert_error(api.get(f"/logged-models/{UNKNOWN}"), 404, NOT_FOUND, UNKNOWN)
    assert_error(_patch(api, f"/logged-models/{UNKNOWN}", {"status": "LOGGED_MODEL_READY"}), 404,
                 NOT_FOUND)
    assert_error(_delete(api, f"/logged-models/{UNKNOWN}"), 404, NOT_FOUND)
    assert_error(_patch(api, f"/logged-models/{UNKNOWN}/tags", {"tags": []}), 404, NOT_FOUND)
    assert_error(api.post(f"/logged-models/{UNKNOWN}/params", {"params": []}), 404, NOT_FOUND)
    assert_error(api.post("/logged-models", {"experiment_id": "987654321", "name": "x"}), 404,
                 NOT_FOUND)


def test_bad_input_changes_nothing(api):
    exp = api.create_experiment(unique("lm-bad"))
    m = _create(api, exp, name="victim")
    mid = m["info"]["model_id"]
    before = _model(api, mid)

    assert_error(api.post("/logged-models", {"experiment_id": exp, "name": "a/b"}), 400, IPV,
                 "a/b")
    assert_error(_patch(api, f"/logged-models/{mid}", {"status": "LOGGED_MODEL_BOGUS"}), 400, IPV,
                 "LOGGED_MODEL_BOGUS")
    assert_error(_patch(api, f"/logged-models/{mid}/tags",
                        {"tags": [{"key": "k", "value": "x" * 9000}]}), 400, IPV)
    assert_error(_delete(api, f"/logged-models/{mid}/tags/missing"), 404, NOT_FOUND, "missing")
    assert_error(api.post("/logged-models/search",
                          {"experiment_ids": [exp], "filter": "name = 'a' AND bogus.x = 1"}),
                 400, IPV, "bogus")
    assert_error(api.post("/logged-models/search",
                          {"experiment_ids": [exp], "filter": "metrics.acc > 'high'"}), 400, IPV)
    assert_error(api.post("/logged-models/search",
                          {"experiment_ids": [exp], "order_by": [{"field_name": "nope"}]}),
                 400, IPV, "nope")

    # A metric linked to an unknown model: 404, and the run gets nothing either.
    run = api.create_run(exp)
    metric = {"key": "acc", "value": 1.0, "timestamp": now_ms(), "step": 0, "model_id": UNKNOWN}
    assert_error(api.post("/runs/log-batch", {"run_id": run, "metrics": [metric]}), 404, NOT_FOUND)
    assert_error(api.post("/runs/log-metric", {"run_id": run, **metric}), 404, NOT_FOUND)
    assert api.history(run, "acc") == []
    assert_error(api.post("/runs/log-inputs", {"run_id": run, "models": [{"model_id": UNKNOWN}]}),
                 404, NOT_FOUND)
    assert "inputs" not in api.get_run(run) or not api.get_run(run)["inputs"].get("model_inputs")

    after = _model(api, mid)
    assert after == before


def test_metrics_outputs_and_deleted_models(api):
    exp = api.create_experiment(unique("lm-io"))
    mid = _create(api, exp, name="scored")["info"]["model_id"]
    run = api.create_run(exp)
    metric = {"key": "acc", "value": 0.5, "timestamp": now_ms(), "step": 3, "model_id": mid,
              "dataset_name": "val", "dataset_digest": "abc"}
    api.log_batch(run, metrics=[metric])
    got = _model(api, mid)["data"]["metrics"]
    assert got == [{**metric, "run_id": run}]
    assert api.history(run, "acc")[0]["value"] == 0.5

    api.ok(api.post("/runs/outputs", {"run_id": run, "models": [{"model_id": mid, "step": 3}]}))
    assert api.get_run(run)["outputs"] == {"model_outputs": [{"model_id": mid, "step": 3}]}

    api.ok(_delete(api, f"/logged-models/{mid}"))
    assert_error(api.get(f"/logged-models/{mid}"), 404, NOT_FOUND)
    deleted = api.ok(api.get(f"/logged-models/{mid}", {"allow_deleted": "true"}))
    assert deleted["model"]["info"]["model_id"] == mid
    page = api.ok(api.post("/logged-models/search", {"experiment_ids": [exp]}))
    assert page.get("models", []) == []


def test_models_are_scoped_to_their_workspace(api, server):
    requests.post(server.url + "/api/v1/workspaces", json={"name": "lm-other"}, timeout=30)
    exp = api.create_experiment(unique("lm-ws"))
    mid = _create(api, exp)["info"]["model_id"]
    other = api.in_workspace("lm-other")
    assert_error(other.get(f"/logged-models/{mid}"), 404, NOT_FOUND)


def test_unfiltered_search_pages_like_the_general_search(api):
    """With no filter and an order on creation time (or none), the page is chosen from the
    stored creation times and only its models are read; the result must equal the general
    evaluation's, which a match-all name filter forces."""
    exp = api.create_experiment(unique("lm-page"))
    ids = [_create(api, exp, name=f"m{i}")["info"]["model_id"] for i in range(5)]

    def pages(filter_, order_by):
        out, token = [], None
        while True:
            body = {"experiment_ids": [exp], "filter": filter_, "order_by": order_by,
                    "max_results": 2}
            if token:
                body["page_token"] = token
            got = api.ok(api.post("/logged-models/search", body))
            out += [m["info"]["model_id"] for m in got["models"]]
            token = got.get("next_page_token")
            if not token:
                return out

    for order_by in ([], [{"field_name": "creation_timestamp", "ascending": True}],
                     [{"field_name": "creation_time", "ascending": False}]):
        assert pages("", order_by) == pages("name LIKE '%'", order_by), order_by
    assert sorted(pages("", [])) == sorted(ids)
