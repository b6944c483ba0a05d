"""Bad input to the model registry: clear 4xx errors that change nothing."""

import requests

from conftest import assert_error, unique

INVALID = ("INVALID_PARAMETER_VALUE",)
NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST",)


def create_model(api):
    name = unique("m")
    api.ok(api.post("/registered-models/create", {"name": name}))
    run = api.create_run()
    run_info = api.get_run(run)["info"]
    api.ok(api.post("/model-versions/create",
                    {"name": name, "source": run_info["artifact_uri"] + "/model",
                     "run_id": run}))
    return name, run


def versions(api, name):
    r = api.get("/model-versions/search", {"filter": f"name = '{name}'"})
    return [v["version"] for v in api.ok(r).get("model_versions", [])]


def test_bad_sources_are_refused_and_create_nothing(api):
    name, run = create_model(api)
    for source in ("/etc/passwd", "file:///etc/passwd", "runs:/abc/../../x",
                   "mlflow-artifacts:/1/../../secret", ""):
        r = api.post("/model-versions/create", {"name": name, "source": source})
        assert_error(r, 400, INVALID)
    assert versions(api, name) == ["1"]


def test_bad_versions_stages_and_aliases(api):
    name, _ = create_model(api)
    for version in ("0", "-1", "abc", "1.5", "99999999999999999999"):
        assert_error(api.get("/model-versions/get", {"name": name, "version": version}), 400,
                     INVALID)
    assert_error(api.get("/model-versions/get", {"name": name, "version": "7"}), 404, NOT_FOUND)
    assert_error(api.post("/model-versions/transition-stage",
                          {"name": name, "version": "1", "stage": "Shipped"}), 400, INVALID)
    for alias in ("latest", "v3", "V12", "bad alias", "a/b", "x" * 256):
        assert_error(api.post("/registered-models/alias",
                              {"name": name, "alias": alias, "version": "1"}), 400, INVALID)
    assert_error(api.post("/registered-models/alias",
                          {"name": name, "alias": "ok", "version": "5"}), 404, NOT_FOUND)
    r = api.get("/registered-models/alias", {"name": name, "alias": "ok"})
    assert_error(r, 400, INVALID, "alias ok not found")
    model = api.ok(api.get("/registered-models/get", {"name": name}))["registered_model"]
    assert "aliases" not in model
    assert model["latest_versions"][0]["current_stage"] == "None"


def test_limits_filters_and_missing_fields(api):
    name, _ = create_model(api)
    assert_error(api.get("/registered-models/search", {"max_results": 1001}), 400, INVALID)
    assert_error(api.get("/model-versions/search", {"max_results": 200001}), 400, INVALID)
    assert_error(api.get("/registered-models/search", {"filter": "owner = 'x'"}), 400, INVALID)
    assert_error(api.get("/model-versions/search", {"filter": "version_number = 'x'"}), 400,
                 INVALID)
    assert_error(api.get("/registered-models/search", {"page_token": "garbage"}), 400, INVALID)
    assert_error(api.post("/registered-models/create", {}), 400, INVALID, "name")
    assert_error(api.post("/registered-models/set-tag",
                          {"name": name, "key": "k" * 251, "value": "v"}), 400, INVALID)
    assert_error(api.post("/registered-models/set-tag",
                          {"name": name, "key": "k", "value": "v" * 5001}), 400, INVALID)
    # Registry DELETE endpoints read their JSON body.
    r = requests.delete(api.prefix() + "/api/2.0/mlflow/registered-models/delete-tag",
                        json={"name": name, "key": "never-set"}, timeout=30)
    assert_error(r, 404, NOT_FOUND)
    assert versions(api, name) == ["1"]


def test_models_are_invisible_from_other_workspaces(api):
    name, _ = create_model(api)
    r = requests.post(api.url + "/api/v1/workspaces", json={"name": "reg-other"}, timeout=30)
    assert r.status_code == 201, r.text
    other = api.in_workspace("reg-other")
    assert_error(other.get("/registered-models/get", {"name": name}), 404, NOT_FOUND)
    assert other.ok(other.get("/registered-models/search", {"filter": f"name = '{name}'"})) == {}
    # A run of another workspace cannot be the lineage of a version here.
    run_here = api.create_run()
    other.ok(other.post("/registered-models/create", {"name": name}))
    r = other.post("/model-versions/create",
                   {"name": name, "source": "runs:/x/model", "run_id": run_here})
    assert_error(r, 404, NOT_FOUND)
