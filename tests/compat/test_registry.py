"""The MLflow model registry through the real MlflowClient (registered models, versions, stages,
aliases, tags, search and pagination), in the default workspace and under a workspace prefix."""

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from conftest import error_code, unique_name


@pytest.fixture
def model_name(client):
    name = unique_name("model")
    client.create_registered_model(name, tags={"team": "ml"}, description="first")
    yield name
    try:
        client.delete_registered_model(name)
    except MlflowException:
        pass


@pytest.fixture
def run(client, experiment_id):
    return client.create_run(experiment_id)


def new_version(client, name, run, path="model", tags=None):
    source = f"{run.info.artifact_uri}/{path}"
    mv = client.create_model_version(name, source, run_id=run.info.run_id, tags=tags or {})
    assert mv.status == "READY"
    return mv


def test_registered_model_round_trip(client, model_name):
    m = client.get_registered_model(model_name)
    assert m.name == model_name
    assert m.description == "first"
    assert m.tags == {"team": "ml"}
    assert m.creation_timestamp > 0 and m.last_updated_timestamp >= m.creation_timestamp
    client.update_registered_model(model_name, description="second")
    assert client.get_registered_model(model_name).description == "second"
    client.set_registered_model_tag(model_name, "stage", "dev")
    client.delete_registered_model_tag(model_name, "team")
    assert client.get_registered_model(model_name).tags == {"stage": "dev"}


def test_duplicate_and_missing_models(client, model_name):
    with pytest.raises(MlflowException) as e:
        client.create_registered_model(model_name)
    assert error_code(e) == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as e:
        client.get_registered_model(unique_name("missing"))
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_versions_record_their_run_and_number_upwards(client, model_name, run):
    v1 = new_version(client, model_name, run, tags={"k": "v"})
    v2 = new_version(client, model_name, run, path="model2")
    assert (v1.version, v2.version) == ("1", "2")
    got = client.get_model_version(model_name, "1")
    assert got.run_id == run.info.run_id  # lineage: model -> run
    assert got.source == f"{run.info.artifact_uri}/model"
    assert got.tags == {"k": "v"}
    assert got.current_stage == "None"
    assert client.get_model_version_download_uri(model_name, "2") == \
        f"{run.info.artifact_uri}/model2"
    client.delete_model_version(model_name, "2")
    v3 = new_version(client, model_name, run)
    assert v3.version == "3"  # numbers are never reused
    client.update_model_version(model_name, "3", description="best")
    assert client.get_model_version(model_name, "3").description == "best"
    client.set_model_version_tag(model_name, "3", "validated", "yes")
    client.delete_model_version_tag(model_name, "1", "k")
    assert client.get_model_version(model_name, "3").tags == {"validated": "yes"}
    assert client.get_model_version(model_name, "1").tags == {}
    with pytest.raises(MlflowException) as e:
        client.get_model_version(model_name, "2")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_version_from_unknown_run_is_refused(client, model_name):
    with pytest.raises(MlflowException) as e:
        client.create_model_version(model_name, "runs:/0123456789abcdef0123456789abcdef/model",
                                    run_id="0123456789abcdef0123456789abcdef")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_stages_and_latest_versions(client, model_name, run):
    for _ in range(3):
        new_version(client, model_name, run)
    client.transition_model_version_stage(model_name, "1", "Production")
    client.transition_model_version_stage(model_name, "2", "staging")
    mv = client.transition_model_version_stage(model_name, "3", "Production",
                                               archive_existing_versions=True)
    assert mv.current_stage == "Production"
    assert client.get_model_version(model_name, "1").current_stage == "Archived"
    latest = {v.current_stage: v.version for v in client.get_latest_versions(model_name)}
    assert latest == {"Archived": "1", "Staging": "2", "Production": "3"}
    prod = client.get_latest_versions(model_name, stages=["Production"])
    assert [v.version for v in prod] == ["3"]
    with pytest.raises(MlflowException) as e:
        client.transition_model_version_stage(model_name, "1", "Shipping")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"


def test_aliases(client, model_name, run):
    new_version(client, model_name, run)
    new_version(client, model_name, run)
    client.set_registered_model_alias(model_name, "champion", "2")
    client.set_registered_model_alias(model_name, "challenger", "1")
    assert client.get_model_version_by_alias(model_name, "champion").version == "2"
    m = client.get_registered_model(model_name)
    assert m.aliases == {"champion": "2", "challenger": "1"}
    assert client.get_model_version(model_name, "2").aliases == ["champion"]
    client.set_registered_model_alias(model_name, "champion", "1")  # moves
    assert client.get_model_version_by_alias(model_name, "champion").version == "1"
    client.delete_registered_model_alias(model_name, "challenger")
    with pytest.raises(MlflowException) as e:
        client.get_model_version_by_alias(model_name, "challenger")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException):
        client.set_registered_model_alias(model_name, "champion", "9")


def test_rename_keeps_versions(client, run):
    old, new = unique_name("old"), unique_name("new")
    client.create_registered_model(old)
    new_version(client, old, run)
    client.rename_registered_model(old, new)
    assert client.get_model_version(new, "1").name == new
    with pytest.raises(MlflowException):
        client.get_registered_model(old)
    client.delete_registered_model(new)


def test_search_registered_models_and_versions_with_pages(client, run):
    prefix = unique_name("search")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        client.create_registered_model(n, tags={"kind": "even" if names.index(n) % 2 == 0
                                                else "odd"})
        new_version(client, n, run)
    found = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'")
    assert sorted(m.name for m in found) == names
    # `!=` on a tag also matches models that lack the tag.
    not_odd = client.search_registered_models(
        filter_string=f"name LIKE '{prefix}-%' AND tags.kind != 'odd'")
    assert sorted(m.name for m in not_odd) == [names[0], names[2], names[4]]
    untagged = client.search_registered_models(
        filter_string=f"name LIKE '{prefix}-%' AND tags.other != 'x'")
    assert len(untagged) == 5
    even = client.search_registered_models(
        filter_string=f"name LIKE '{prefix}-%' AND tags.kind = 'even'")
    assert sorted(m.name for m in even) == [names[0], names[2], names[4]]
    page1 = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'",
                                            max_results=2, order_by=["name DESC"])
    assert [m.name for m in page1] == [names[4], names[3]] and page1.token
    page2 = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'",
                                            max_results=2, order_by=["name DESC"],
                                            page_token=page1.token)
    assert [m.name for m in page2] == [names[2], names[1]]
    versions = client.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert sorted(v.name for v in versions) == names
    one = client.search_model_versions(f"name = '{names[1]}'")
    assert [(v.name, v.version) for v in one] == [(names[1], "1")]
    with pytest.raises(MlflowException) as e:
        client.search_registered_models(filter_string="owner = 'x'")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    for n in names:
        client.delete_registered_model(n)


def test_fluent_register_model_from_a_run(client, tracking_uri, experiment_id):
    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run(experiment_id=experiment_id) as r:
        mlflow.log_text("weights", "model/weights.txt")
        mlflow.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
    name = unique_name("fluent")
    mv = mlflow.register_model(f"runs:/{r.info.run_id}/model", name)
    assert mv.version == "1"
    got = client.get_model_version(name, "1")
    assert got.run_id == r.info.run_id
    assert got.source.endswith(f"{r.info.run_id}/artifacts/model")
    client.delete_registered_model(name)


def test_delete_model_removes_versions(client, run):
    name = unique_name("gone")
    client.create_registered_model(name)
    new_version(client, name, run)
    client.delete_registered_model(name)
    with pytest.raises(MlflowException) as e:
        client.get_model_version(name, "1")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
