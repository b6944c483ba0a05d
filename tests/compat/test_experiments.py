"""Experiments through MlflowClient and the fluent API."""

import re

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from conftest import error_code, now_ms, unique_name


def test_create_and_get_experiment(client):
    name = unique_name("exp")
    before = now_ms()
    exp_id = client.create_experiment(name, tags={"team": "vision", "priority": "1"})
    after = now_ms()

    assert isinstance(exp_id, str) and re.fullmatch(r"[0-9]+", exp_id), exp_id
    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "vision", "priority": "1"}
    # No artifact_location was given: the server assigns one under its artifact proxy.
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert before <= exp.creation_time <= after
    assert exp.last_update_time == exp.creation_time


def test_experiment_ids_are_distinct(client):
    ids = [client.create_experiment(unique_name("exp")) for _ in range(3)]
    assert len(set(ids)) == 3


def test_get_experiment_by_name(client):
    name = unique_name("exp")
    exp_id = client.create_experiment(name)

    exp = client.get_experiment_by_name(name)
    assert exp is not None
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"

    # An unknown name is RESOURCE_DOES_NOT_EXIST on the wire; the client maps it to None.
    assert client.get_experiment_by_name(unique_name("missing")) is None


def test_get_unknown_experiment(client):
    with pytest.raises(MlflowException) as e:
        client.get_experiment("987654321")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_duplicate_experiment_name(client):
    name = unique_name("exp")
    client.create_experiment(name)
    with pytest.raises(MlflowException) as e:
        client.create_experiment(name)
    assert error_code(e) == "RESOURCE_ALREADY_EXISTS"


def test_create_experiment_with_empty_name_is_rejected(client):
    with pytest.raises(MlflowException) as e:
        client.create_experiment("")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"


def test_rename_experiment(client):
    old, new = unique_name("old"), unique_name("new")
    exp_id = client.create_experiment(old)
    created = client.get_experiment(exp_id)

    client.rename_experiment(exp_id, new)

    exp = client.get_experiment(exp_id)
    assert exp.name == new
    assert exp.last_update_time >= created.last_update_time
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None


def test_rename_to_existing_name_is_rejected(client):
    a, b = unique_name("a"), unique_name("b")
    client.create_experiment(a)
    b_id = client.create_experiment(b)
    with pytest.raises(MlflowException) as e:
        client.rename_experiment(b_id, a)
    # MLflow 2.17 (SQL store) leaks the IntegrityError as BAD_REQUEST; both are HTTP 400.
    assert error_code(e) in ("RESOURCE_ALREADY_EXISTS", "BAD_REQUEST")
    assert client.get_experiment(b_id).name == b


def test_delete_and_restore_experiment(client):
    name = unique_name("exp")
    exp_id = client.create_experiment(name)
    run = client.create_run(exp_id)

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "deleted"
    # A deleted experiment is still found by id and by name ...
    assert client.get_experiment_by_name(name).lifecycle_stage == "deleted"
    # ... its runs are deleted with it ...
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    # ... and its name stays taken.
    with pytest.raises(MlflowException) as e:
        client.create_experiment(name)
    assert error_code(e) == "RESOURCE_ALREADY_EXISTS"

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_delete_unknown_experiment(client):
    with pytest.raises(MlflowException) as e:
        client.delete_experiment("987654321")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_create_run_in_deleted_experiment_is_rejected(client, experiment_id):
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException) as e:
        client.create_run(experiment_id)
    assert error_code(e) == "INVALID_PARAMETER_VALUE"


def test_set_experiment_tag(client, experiment_id):
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.set_experiment_tag(experiment_id, "owner", "alice")
    assert client.get_experiment(experiment_id).tags == {"stage": "dev", "owner": "alice"}

    client.set_experiment_tag(experiment_id, "stage", "prod")  # overwrite
    assert client.get_experiment(experiment_id).tags == {"stage": "prod", "owner": "alice"}


def test_search_experiments_by_name_like_and_order(client):
    prefix = unique_name("search")
    names = [f"{prefix}-b", f"{prefix}-c", f"{prefix}-a"]
    ids = {n: client.create_experiment(n) for n in names}
    client.create_experiment(unique_name("other"))

    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%'", order_by=["name DESC"]
    )
    assert [e.name for e in found] == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]
    assert [e.experiment_id for e in found] == [ids[e.name] for e in found]

    found = client.search_experiments(filter_string=f"name = '{prefix}-a'")
    assert [e.experiment_id for e in found] == [ids[f"{prefix}-a"]]


def test_search_experiments_by_tag(client):
    marker = unique_name("marker")
    tagged = client.create_experiment(unique_name("exp"), tags={"group": marker})
    client.create_experiment(unique_name("exp"), tags={"group": "someone-else"})

    found = client.search_experiments(filter_string=f"tags.group = '{marker}'")
    assert [e.experiment_id for e in found] == [tagged]
    assert found[0].tags == {"group": marker}


def test_search_experiments_view_type(client):
    prefix = unique_name("view")
    active = client.create_experiment(f"{prefix}-active")
    deleted = client.create_experiment(f"{prefix}-deleted")
    client.delete_experiment(deleted)
    flt = f"name LIKE '{prefix}%'"

    def ids(view_type):
        found = client.search_experiments(view_type=view_type, filter_string=flt)
        return sorted(e.experiment_id for e in found)

    assert ids(ViewType.ACTIVE_ONLY) == [active]
    assert ids(ViewType.DELETED_ONLY) == [deleted]
    assert ids(ViewType.ALL) == sorted([active, deleted])


def test_search_experiments_pagination(client):
    prefix = unique_name("page")
    ids = [client.create_experiment(f"{prefix}-{i}") for i in range(5)]

    seen, token, pages = [], None, 0
    while True:
        page = client.search_experiments(
            filter_string=f"name LIKE '{prefix}%'",
            order_by=["name ASC"],
            max_results=2,
            page_token=token,
        )
        pages += 1
        assert len(page) <= 2
        seen.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            break
    assert seen == ids  # names sort in creation order here
    assert pages == 3


def test_search_experiments_order_by_creation_time(client):
    prefix = unique_name("order")
    ids = [client.create_experiment(f"{prefix}-{i}") for i in range(3)]
    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%'", order_by=["creation_time DESC"]
    )
    assert [e.experiment_id for e in found] == list(reversed(ids))


def test_fluent_set_experiment_creates_and_activates(client):
    name = unique_name("fluent")
    exp = mlflow.set_experiment(name)
    assert exp.name == name
    assert client.get_experiment_by_name(name).experiment_id == exp.experiment_id

    # Setting it again returns the same experiment instead of creating another one.
    assert mlflow.set_experiment(name).experiment_id == exp.experiment_id

    with mlflow.start_run() as run:
        assert run.info.experiment_id == exp.experiment_id


def test_fluent_set_experiment_by_id(client, experiment_id):
    exp = mlflow.set_experiment(experiment_id=experiment_id)
    assert exp.experiment_id == experiment_id
    with mlflow.start_run() as run:
        pass
    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id


def test_default_experiment(server_url):
    """Experiment "0" (Default) exists on the root URI of a fresh server."""
    client = mlflow.MlflowClient(tracking_uri=server_url)
    exp = client.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"
