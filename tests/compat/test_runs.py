"""Runs: lifecycle, params, tags, batches and dataset inputs (client and fluent API)."""

import hashlib
import json
import re
import uuid

import mlflow
import pytest
from mlflow.data.dataset import Dataset
from mlflow.data.http_dataset_source import HTTPDatasetSource
from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunStatus, RunTag, ViewType
from mlflow.entities import Dataset as DatasetEntity
from mlflow.exceptions import MlflowException

from conftest import error_code, metric_history, now_ms, unique_name

RUN_ID_RE = re.compile(r"[0-9a-f]{32}")
SYSTEM_TAG_PREFIX = "mlflow."


def user_tags(run):
    return {k: v for k, v in run.data.tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)}


# --------------------------------------------------------------------------------------------
# Client: create / get / update / delete
# --------------------------------------------------------------------------------------------


def test_create_run_fields(client, experiment_id):
    start = now_ms() - 5000
    run = client.create_run(
        experiment_id, start_time=start, tags={"team": "vision"}, run_name="alpha"
    )
    info = run.info
    assert RUN_ID_RE.fullmatch(info.run_id), info.run_id
    assert info.experiment_id == experiment_id
    assert info.run_name == "alpha"
    assert info.status == "RUNNING"
    assert info.lifecycle_stage == "active"
    assert info.start_time == start
    assert info.end_time is None
    assert info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{info.run_id}/artifacts"
    assert run.data.tags["team"] == "vision"
    assert run.data.tags["mlflow.runName"] == "alpha"
    assert run.data.metrics == {} and run.data.params == {}

    fetched = client.get_run(info.run_id)
    assert fetched.info.run_id == info.run_id
    assert fetched.info.run_name == "alpha"
    assert fetched.info.start_time == start
    assert fetched.info.status == "RUNNING"
    assert fetched.info.user_id == info.user_id
    assert fetched.info.artifact_uri == info.artifact_uri
    assert user_tags(fetched) == {"team": "vision"}
    assert fetched.data.tags["mlflow.runName"] == "alpha"


def test_create_run_generates_a_name(client, experiment_id):
    run = client.create_run(experiment_id)
    name = run.info.run_name
    assert re.fullmatch(r"[a-z]+-[a-z]+-[0-9]+", name), name
    assert run.data.tags["mlflow.runName"] == name
    assert client.get_run(run.info.run_id).info.run_name == name


def test_run_name_from_tag(client, experiment_id):
    run = client.create_run(experiment_id, tags={"mlflow.runName": "from-tag"})
    assert run.info.run_name == "from-tag"
    assert client.get_run(run.info.run_id).info.run_name == "from-tag"


def test_conflicting_run_name_and_tag_is_rejected(client, experiment_id):
    with pytest.raises(MlflowException) as e:
        client.create_run(experiment_id, run_name="by-arg", tags={"mlflow.runName": "by-tag"})
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    run = client.create_run(experiment_id, run_name="same", tags={"mlflow.runName": "same"})
    assert run.info.run_name == "same"


def test_set_run_name_tag_renames_run(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="first").info.run_id
    client.set_tag(run_id, "mlflow.runName", "second")
    run = client.get_run(run_id)
    assert run.info.run_name == "second"
    assert run.data.tags["mlflow.runName"] == "second"


def test_get_unknown_run(client):
    with pytest.raises(MlflowException) as e:
        client.get_run(uuid.uuid4().hex)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_create_run_in_unknown_experiment(client):
    with pytest.raises(MlflowException) as e:
        client.create_run("987654321")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_update_run_status_and_name(client, experiment_id):
    run_id = client.create_run(experiment_id, run_name="before").info.run_id

    client.update_run(run_id, status="FAILED", name="after")

    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.info.run_name == "after"
    assert run.data.tags["mlflow.runName"] == "after"

    client.update_run(run_id, name="again")  # status unchanged
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.info.run_name == "again"


def test_set_terminated(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    before = now_ms()
    client.set_terminated(run_id)
    after = now_ms()
    info = client.get_run(run_id).info
    assert info.status == "FINISHED"
    assert before <= info.end_time <= after

    run_id = client.create_run(experiment_id).info.run_id
    end = now_ms() + 12345
    client.set_terminated(run_id, status="KILLED", end_time=end)
    info = client.get_run(run_id).info
    assert info.status == "KILLED"
    assert info.end_time == end


def test_delete_and_restore_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY)
    assert [r.info.run_id for r in active] == []
    deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    active = client.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY)
    assert [r.info.run_id for r in active] == [run_id]


def test_delete_unknown_run(client):
    with pytest.raises(MlflowException) as e:
        client.delete_run(uuid.uuid4().hex)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda c, r: c.log_param(r, "p", "1"), id="log_param"),
        pytest.param(lambda c, r: c.log_metric(r, "m", 1.0), id="log_metric"),
        pytest.param(lambda c, r: c.set_tag(r, "t", "v"), id="set_tag"),
        pytest.param(
            lambda c, r: c.log_batch(r, metrics=[Metric("m", 1.0, now_ms(), 0)]), id="log_batch"
        ),
    ],
)
def test_writes_to_deleted_run_are_rejected(client, experiment_id, write):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as e:
        write(client, run_id)
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    run = client.get_run(run_id)
    assert run.data.params == {} and run.data.metrics == {} and user_tags(run) == {}


def test_unknown_run_writes(client):
    missing = uuid.uuid4().hex
    for write in (
        lambda: client.log_param(missing, "p", "1"),
        lambda: client.log_metric(missing, "m", 1.0),
        lambda: client.set_tag(missing, "t", "v"),
    ):
        with pytest.raises(MlflowException) as e:
            write()
        assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


# --------------------------------------------------------------------------------------------
# Params and tags
# --------------------------------------------------------------------------------------------


def test_params_are_immutable(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # same value: accepted

    with pytest.raises(MlflowException) as e:
        client.log_param(run_id, "lr", "0.2")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"

    with pytest.raises(MlflowException) as e:
        client.log_batch(run_id, params=[Param("lr", "0.3")])
    assert error_code(e) == "INVALID_PARAMETER_VALUE"

    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_param_values_are_strings(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "int", 3)
    client.log_param(run_id, "float", 0.25)
    client.log_param(run_id, "none", None)
    client.log_param(run_id, "empty", "")
    client.log_param(run_id, "long", "x" * 6000)
    client.log_param(run_id, "unicode", "héllo wörld ✓")
    assert client.get_run(run_id).data.params == {
        "int": "3",
        "float": "0.25",
        "none": "None",
        "empty": "",
        "long": "x" * 6000,
        "unicode": "héllo wörld ✓",
    }


def test_set_tag_overwrites_and_delete_tag(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.set_tag(run_id, "color", "red")
    client.set_tag(run_id, "size", "L")
    client.set_tag(run_id, "color", "blue")
    assert user_tags(client.get_run(run_id)) == {"color": "blue", "size": "L"}

    client.delete_tag(run_id, "color")
    assert user_tags(client.get_run(run_id)) == {"size": "L"}

    with pytest.raises(MlflowException) as e:
        client.delete_tag(run_id, "color")  # no longer set
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_invalid_param_key_is_rejected(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    with pytest.raises(MlflowException) as e:
        client.log_param(run_id, "../escape", "1")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"


# --------------------------------------------------------------------------------------------
# log_batch
# --------------------------------------------------------------------------------------------


def test_log_batch(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 0.9, ts, 0),
            Metric("loss", 0.5, ts + 1, 1),
            Metric("acc", 0.75, ts, 0),
        ],
        params=[Param("lr", "0.01"), Param("layers", "3")],
        tags=[RunTag("phase", "train"), RunTag("owner", "bob")],
    )
    run = client.get_run(run_id)
    assert run.data.metrics == {"loss": 0.5, "acc": 0.75}
    assert run.data.params == {"lr": "0.01", "layers": "3"}
    assert user_tags(run) == {"phase": "train", "owner": "bob"}
    assert sorted(metric_history(client, run_id, "loss")) == [(0, ts, 0.9), (1, ts + 1, 0.5)]


def test_log_batch_1000_metrics(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    metrics = [Metric(f"m{i % 10}", float(i), ts + i, i // 10) for i in range(1000)]
    client.log_batch(run_id, metrics=metrics)

    run = client.get_run(run_id)
    assert run.data.metrics == {f"m{k}": float(990 + k) for k in range(10)}
    history = sorted(metric_history(client, run_id, "m3"))
    assert history == [(s, ts + 10 * s + 3, float(10 * s + 3)) for s in range(100)]


def test_log_batch_more_than_1000_metrics_is_split_by_client(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_batch(run_id, metrics=[Metric("big", float(i), ts, i) for i in range(2500)])
    history = sorted(metric_history(client, run_id, "big"))
    assert len(history) == 2500
    assert history[0] == (0, ts, 0.0) and history[-1] == (2499, ts, 2499.0)


def test_log_batch_empty(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[], params=[], tags=[])
    run = client.get_run(run_id)
    assert run.data.metrics == {} and run.data.params == {} and user_tags(run) == {}


# --------------------------------------------------------------------------------------------
# Dataset inputs
# --------------------------------------------------------------------------------------------


def _dataset_entity(name="ds", digest="abc123"):
    return DatasetEntity(
        name=name,
        digest=digest,
        source_type="http",
        source=json.dumps({"url": f"https://example.com/{name}.csv"}),
        schema=json.dumps({"mlflow_colspec": [{"type": "double", "name": "x"}]}),
        profile=json.dumps({"num_rows": 3}),
    )


def test_log_inputs_and_read_back(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_inputs(
        run_id,
        [
            DatasetInput(_dataset_entity("train", "d1"), [InputTag("mlflow.data.context", "train")]),
            DatasetInput(_dataset_entity("eval", "d2"), [InputTag("mlflow.data.context", "eval")]),
        ],
    )
    inputs = client.get_run(run_id).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert sorted(by_name) == ["eval", "train"]
    train = by_name["train"]
    assert train.dataset.digest == "d1"
    assert train.dataset.source_type == "http"
    assert json.loads(train.dataset.source) == {"url": "https://example.com/train.csv"}
    assert json.loads(train.dataset.schema) == {"mlflow_colspec": [{"type": "double", "name": "x"}]}
    assert json.loads(train.dataset.profile) == {"num_rows": 3}
    assert [(t.key, t.value) for t in train.tags] == [("mlflow.data.context", "train")]
    assert [(t.key, t.value) for t in by_name["eval"].tags] == [("mlflow.data.context", "eval")]

    # Logging the same dataset to the same run again does not duplicate it.
    client.log_inputs(
        run_id,
        [DatasetInput(_dataset_entity("train", "d1"), [InputTag("mlflow.data.context", "train")])],
    )
    assert len(client.get_run(run_id).inputs.dataset_inputs) == 2


def test_run_without_inputs(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.get_run(run_id).inputs.dataset_inputs == []


class TinyDataset(Dataset):
    """A minimal mlflow.data Dataset that needs neither pandas nor numpy."""

    def __init__(self, rows, name):
        self._rows = rows
        super().__init__(source=HTTPDatasetSource("https://example.com/tiny.csv"), name=name)

    def _compute_digest(self):
        return hashlib.sha256(json.dumps(self._rows).encode()).hexdigest()[:8]

    def to_dict(self):
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self.source.to_json(),
            "source_type": self.source._get_source_type(),
            "profile": json.dumps(self.profile),
        }

    @property
    def profile(self):
        return {"num_rows": len(self._rows)}

    @property
    def schema(self):
        return None


def test_fluent_log_input(client, fluent_experiment):
    ds = TinyDataset([[1, 2], [3, 4]], name="tiny")
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training", tags={"version": "7"})
    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    got = inputs[0]
    assert got.dataset.name == "tiny"
    assert got.dataset.digest == ds.digest
    assert got.dataset.source_type == "http"
    assert json.loads(got.dataset.source) == {"url": "https://example.com/tiny.csv"}
    assert json.loads(got.dataset.profile) == {"num_rows": 2}
    assert {t.key: t.value for t in got.tags} == {
        "mlflow.data.context": "training",
        "version": "7",
    }


def test_fluent_log_input_from_pandas(client, fluent_experiment):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    ds = mlflow.data.from_pandas(df, source="https://example.com/xy.csv", name="xy", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training")

    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    got = inputs[0].dataset
    assert got.name == "xy"
    assert got.digest == ds.digest
    assert got.source_type == "http"
    assert json.loads(got.source) == {"url": "https://example.com/xy.csv"}
    assert json.loads(got.profile) == {"num_rows": 3, "num_elements": 6}
    if ds.schema is not None:  # mlflow 3 clients may send no schema for pandas datasets
        colspec = json.loads(got.schema)["mlflow_colspec"]
        assert [c["name"] for c in colspec] == ["x", "y"]
    else:
        assert not got.schema
    assert {t.key: t.value for t in inputs[0].tags} == {"mlflow.data.context": "training"}

    # The dataset source can be resolved back from what the server returned.
    source = mlflow.data.get_source(inputs[0])
    assert source.url == "https://example.com/xy.csv"


# --------------------------------------------------------------------------------------------
# Fluent API
# --------------------------------------------------------------------------------------------


def test_fluent_run_logging(client, fluent_experiment):
    with mlflow.start_run(run_name="fluent-run") as run:
        assert mlflow.active_run().info.run_id == run.info.run_id
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"beta": "b", "gamma": 3})
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "carol", "count": 2})
        mlflow.log_metric("loss", 0.25)
    assert mlflow.active_run() is None

    got = client.get_run(run.info.run_id)
    assert got.info.run_name == "fluent-run"
    assert got.info.experiment_id == fluent_experiment
    assert got.info.status == "FINISHED"
    assert got.info.end_time >= got.info.start_time
    assert got.data.params == {"alpha": "0.5", "beta": "b", "gamma": "3"}
    assert user_tags(got) == {"stage": "dev", "owner": "carol", "count": "2"}
    assert got.data.metrics == {"loss": 0.25}
    # Tags the fluent client adds on its own, stored like any other tag.
    assert got.data.tags["mlflow.source.type"] == "LOCAL"
    assert "mlflow.user" in got.data.tags
    assert "mlflow.source.name" in got.data.tags


@pytest.mark.parametrize("status", ["FINISHED", "FAILED", "KILLED"])
def test_fluent_end_run_status(client, fluent_experiment, status):
    run = mlflow.start_run()
    before = now_ms()
    mlflow.end_run(status=status)
    after = now_ms()
    info = client.get_run(run.info.run_id).info
    assert info.status == status
    assert before <= info.end_time <= after
    assert mlflow.active_run() is None


def test_fluent_run_failed_on_exception(client, fluent_experiment):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            1 / 0  # noqa: B018
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_fluent_nested_runs(client, fluent_experiment):
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
            mlflow.log_param("level", "child")
        assert mlflow.active_run().info.run_id == parent.info.run_id
        mlflow.log_param("level", "parent")

    p = client.get_run(parent.info.run_id)
    c = client.get_run(child.info.run_id)
    assert c.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in p.data.tags
    assert p.data.params == {"level": "parent"}
    assert c.data.params == {"level": "child"}
    assert p.info.status == c.info.status == "FINISHED"

    children = client.search_runs(
        [fluent_experiment], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_fluent_resume_run(client, fluent_experiment):
    with mlflow.start_run() as run:
        mlflow.log_param("a", "1")
    assert client.get_run(run.info.run_id).info.status == "FINISHED"

    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_param("b", "2")

    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"a": "1", "b": "2"}


def test_fluent_delete_tag(client, fluent_experiment):
    with mlflow.start_run() as run:
        mlflow.set_tag("temp", "x")
        mlflow.delete_tag("temp")
    assert "temp" not in client.get_run(run.info.run_id).data.tags


def test_run_status_enum_roundtrip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    for status in ("SCHEDULED", "RUNNING", "FAILED", "KILLED", "FINISHED"):
        client.update_run(run_id, status=status)
        assert client.get_run(run_id).info.status == status
        assert RunStatus.from_string(status) == RunStatus.from_string(
            client.get_run(run_id).info.status
        )
