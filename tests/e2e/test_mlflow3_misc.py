"""The smaller MLflow 3 routes over REST: registry webhooks (validation, the secret is never
returned, the delivery allow-list), delete-experiment-tag, server-info."""

from __future__ import annotations

import requests

from conftest import ML, assert_error, unique

IPV = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
EVENTS = [{"entity": "MODEL_VERSION", "action": "CREATED"}]


def test_webhook_validation_secret_and_allow_list(api):
    assert_error(api.post("/webhooks", {"name": "h", "url": "ftp://x/y", "events": EVENTS}), 400,
                 IPV, "ftp://x/y")
    assert_error(api.post("/webhooks", {"name": "h", "url": "https://x.test/y", "events": []}),
                 400, IPV)
    assert_error(api.post("/webhooks", {"name": "h", "url": "https://x.test/y",
                                        "events": [{"entity": "NOPE", "action": "CREATED"}]}),
                 400, IPV, "NOPE")
    before = api.ok(api.get("/webhooks")).get("webhooks", [])

    hook = api.ok(api.post("/webhooks", {"name": "h", "url": "https://x.test/y",
                                         "events": EVENTS, "secret": "s3cret"}))["webhook"]
    assert "secret" not in hook
    assert "s3cret" not in api.get(f"/webhooks/{hook['webhook_id']}").text
    assert_error(api.s.patch(api.prefix() + ML + f"/webhooks/{hook['webhook_id']}",
                             json={"status": "SLEEPING"}, timeout=30), 400, IPV, "SLEEPING")
    # The server in this suite has no allow-list: nothing is delivered, and the result says why.
    result = api.ok(api.post(f"/webhooks/{hook['webhook_id']}/test", {}))["result"]
    assert result["success"] is False
    assert "x.test" in result["error_message"]
    assert len(api.ok(api.get("/webhooks"))["webhooks"]) == len(before) + 1

    api.ok(api.s.delete(api.prefix() + ML + f"/webhooks/{hook['webhook_id']}", timeout=30))
    assert_error(api.get(f"/webhooks/{hook['webhook_id']}"), 404, NOT_FOUND)
    assert_error(api.s.delete(api.prefix() + ML + "/webhooks/none", timeout=30), 404, NOT_FOUND)


def test_delete_experiment_tag(api):
    exp = api.create_experiment(unique("tagdel"))
    api.ok(api.post("/experiments/set-experiment-tag",
                    {"experiment_id": exp, "key": "k", "value": "v"}))
    assert_error(api.post("/experiments/delete-experiment-tag",
                          {"experiment_id": exp, "key": "missing"}), 404, NOT_FOUND, "missing")
    assert_error(api.post("/experiments/delete-experiment-tag",
                          {"experiment_id": "987654321", "key": "k"}), 404, NOT_FOUND)
    api.ok(api.post("/experiments/delete-experiment-tag", {"experiment_id": exp, "key": "k"}))
    tags = api.ok(api.get("/experiments/get", {"experiment_id": exp}))["experiment"].get("tags", [])
    assert tags == []


def test_server_info(server):
    info = requests.get(server.url + "/api/3.0/mlflow/server-info", timeout=30).json()
    assert info["multipart_uploads_enabled"] is False
    assert info["store_type"] == "SqlStore"


def test_eval_dataset_bad_input_changes_nothing(api, server):
    base = api.prefix() + "/api/3.0/mlflow/datasets"
    exp = api.create_experiment(unique("ds"))
    s = api.s
    assert_error(s.post(base + "/create", json={"name": "d", "experiment_ids": ["987654321"]},
                        timeout=30), 404, NOT_FOUND)
    ds = api.ok(s.post(base + "/create", json={"name": "d", "experiment_ids": [exp]},
                       timeout=30))["dataset"]
    before = api.ok(s.get(f"{base}/{ds['dataset_id']}", timeout=30))
    assert_error(s.post(f"{base}/{ds['dataset_id']}/records", json={"records": "not json"},
                        timeout=30), 400, IPV)
    assert_error(s.post(f"{base}/{ds['dataset_id']}/records",
                        json={"records": '[{"expectations": {}}]'}, timeout=30), 400, IPV,
                 "inputs")
    assert_error(s.post(base + "/search", json={"filter_string": "colour = 'x'"}, timeout=30),
                 400, IPV, "colour")
    assert_error(s.get(base + "/d-none", timeout=30), 404, NOT_FOUND, "d-none")
    assert_error(s.post(base + "/d-none/records", json={"records": "[]"}, timeout=30), 404,
                 NOT_FOUND)
    assert api.ok(s.get(f"{base}/{ds['dataset_id']}", timeout=30)) == before
