"""SearchRuns: filters, ordering, max_results, pagination, DataFrame and list output."""

import mlflow
import pytest
from mlflow.entities import DatasetInput, InputTag, Metric, Param, ViewType
from mlflow.entities import Dataset as DatasetEntity
from mlflow.exceptions import MlflowException

from conftest import error_code, now_ms, unique_name

# name -> (metric x or None, param p, tag t, final status, start offset ms)
RUNS = {
    "r-a": (1.0, "a", "alpha", "FINISHED", 0),
    "r-b": (5.0, "b", "beta", "FINISHED", 1000),
    "r-c": (3.0, "a", "gamma-x", "FAILED", 2000),
    "r-d": (10.0, "c", "x-ray", "RUNNING", 3000),
    "r-e": (None, "b", "omega", "KILLED", 4000),
}


@pytest.fixture
def runs(client, experiment_id):
    """Five runs with distinct metrics/params/tags/status; returns {name: run_id}."""
    base = now_ms() - 60_000
    ids = {}
    for name, (x, p, t, status, offset) in RUNS.items():
        run = client.create_run(
            experiment_id, start_time=base + offset, run_name=name, tags={"t": t}
        )
        run_id = run.info.run_id
        metrics = [Metric("x", x, base + offset, 0)] if x is not None else []
        metrics.append(Metric("y", float(offset), base + offset, 0))
        client.log_batch(run_id, metrics=metrics, params=[Param("p", p)])
        if status != "RUNNING":
            client.set_terminated(run_id, status=status, end_time=base + offset + 500)
        ids[name] = run_id
    ids["_base"] = base
    return ids


def names(runs_by_name, found):
    by_id = {v: k for k, v in runs_by_name.items() if not k.startswith("_")}
    return [by_id[r.info.run_id] for r in found]


def search(client, experiment_id, runs, flt="", **kwargs):
    return names(runs, client.search_runs([experiment_id], filter_string=flt, **kwargs))


def test_default_order_is_start_time_desc(client, experiment_id, runs):
    assert search(client, experiment_id, runs) == ["r-e", "r-d", "r-c", "r-b", "r-a"]


def test_search_returns_full_runs(client, experiment_id, runs):
    [run] = client.search_runs([experiment_id], filter_string="attributes.run_name = 'r-b'")
    assert run.info.run_id == runs["r-b"]
    assert run.info.run_name == "r-b"
    assert run.info.status == "FINISHED"
    assert run.info.start_time == runs["_base"] + 1000
    assert run.info.end_time == runs["_base"] + 1500
    assert run.info.lifecycle_stage == "active"
    assert run.data.metrics == {"x": 5.0, "y": 1000.0}
    assert run.data.params == {"p": "b"}
    assert run.data.tags["t"] == "beta"
    assert run.data.tags["mlflow.runName"] == "r-b"


@pytest.mark.parametrize(
    "flt, expected",
    [
        ("metrics.x > 2.5", {"r-b", "r-c", "r-d"}),
        ("metrics.x >= 5", {"r-b", "r-d"}),
        ("metrics.x < 5", {"r-a", "r-c"}),
        ("metrics.x <= 3", {"r-a", "r-c"}),
        ("metrics.x = 10", {"r-d"}),
        ("metrics.x != 10", {"r-a", "r-b", "r-c"}),
        ("metric.x > 4", {"r-b", "r-d"}),
        ("params.p = 'a'", {"r-a", "r-c"}),
        ("params.p != 'a'", {"r-b", "r-d", "r-e"}),
        ("param.p = 'c'", {"r-d"}),
        ("params.p LIKE 'b%'", {"r-b", "r-e"}),
        ("tags.t LIKE '%x%'", {"r-c", "r-d"}),
        ("tags.t ILIKE '%X%'", {"r-c", "r-d"}),
        ("tags.t = 'omega'", {"r-e"}),
        ("tags.t != 'omega'", {"r-a", "r-b", "r-c", "r-d"}),
        ("tag.t LIKE 'a%'", {"r-a"}),
        ("tags.`mlflow.runName` = 'r-b'", {"r-b"}),
        ("tags.missing = 'x'", set()),
        ("attributes.status = 'FINISHED'", {"r-a", "r-b"}),
        ("attributes.status != 'FINISHED'", {"r-c", "r-d", "r-e"}),
        ("attribute.status = 'RUNNING'", {"r-d"}),
        ("attributes.run_name = 'r-c'", {"r-c"}),
        ("attributes.run_name LIKE 'r-%'", {"r-a", "r-b", "r-c", "r-d", "r-e"}),
        ("run_name = 'r-a'", {"r-a"}),
        ("metrics.x > 2 AND params.p = 'a'", {"r-c"}),
        ("metrics.x > 0 AND tags.t LIKE '%a%' AND attributes.status = 'FINISHED'", {"r-a", "r-b"}),
    ],
)
def test_filters(client, experiment_id, runs, flt, expected):
    assert set(search(client, experiment_id, runs, flt)) == expected


def test_filter_like_is_case_sensitive(client, experiment_id, runs):
    assert search(client, experiment_id, runs, "tags.t LIKE '%X%'") == []
    assert search(client, experiment_id, runs, "params.p = 'A'") == []


def test_filter_by_start_time(client, experiment_id, runs):
    flt = f"attributes.start_time > {runs['_base'] + 1500}"
    assert set(search(client, experiment_id, runs, flt)) == {"r-c", "r-d", "r-e"}


def test_filter_run_id_in(client, experiment_id, runs):
    flt = f"attributes.run_id IN ('{runs['r-a']}', '{runs['r-d']}')"
    assert set(search(client, experiment_id, runs, flt)) == {"r-a", "r-d"}
    flt = f"attributes.run_id NOT IN ('{runs['r-a']}', '{runs['r-d']}')"
    assert set(search(client, experiment_id, runs, flt)) == {"r-b", "r-c", "r-e"}


def test_invalid_filter_is_rejected(client, experiment_id, runs):
    for bad in ("metrics.x >> 1", "unknown.x = 1", "params.p = 'a' OR params.p = 'b'"):
        with pytest.raises(MlflowException) as e:
            client.search_runs([experiment_id], filter_string=bad)
        assert error_code(e) == "INVALID_PARAMETER_VALUE", bad


def test_order_by_metric(client, experiment_id, runs):
    # A run without the metric sorts last in both directions.
    assert search(client, experiment_id, runs, order_by=["metrics.x DESC"]) == [
        "r-d", "r-b", "r-c", "r-a", "r-e",
    ]  # fmt: skip
    assert search(client, experiment_id, runs, order_by=["metrics.x ASC"]) == [
        "r-a", "r-c", "r-b", "r-d", "r-e",
    ]  # fmt: skip
    assert search(client, experiment_id, runs, "metrics.x > 2", order_by=["metrics.x"]) == [
        "r-c", "r-b", "r-d",
    ]  # fmt: skip


def test_order_by_param_then_attribute(client, experiment_id, runs):
    order = ["params.p DESC", "attributes.start_time ASC"]
    assert search(client, experiment_id, runs, order_by=order) == [
        "r-d", "r-b", "r-e", "r-a", "r-c",
    ]  # fmt: skip


def test_order_by_run_name_and_start_time(client, experiment_id, runs):
    assert search(client, experiment_id, runs, order_by=["attributes.run_name DESC"]) == [
        "r-e", "r-d", "r-c", "r-b", "r-a",
    ]  # fmt: skip
    assert search(client, experiment_id, runs, order_by=["attributes.start_time"]) == [
        "r-a", "r-b", "r-c", "r-d", "r-e",
    ]  # fmt: skip


def test_max_results(client, experiment_id, runs):
    assert search(client, experiment_id, runs, max_results=2) == ["r-e", "r-d"]
    top = search(client, experiment_id, runs, order_by=["metrics.x DESC"], max_results=1)
    assert top == ["r-d"]


def test_pagination(client, experiment_id, runs):
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs(
            [experiment_id], order_by=["attributes.start_time ASC"], max_results=2, page_token=token
        )
        pages += 1
        assert len(page) <= 2
        seen.extend(names(runs, page))
        token = page.token
        if not token:
            break
        assert pages < 10
    assert seen == ["r-a", "r-b", "r-c", "r-d", "r-e"]
    assert pages == 3


def test_pagination_with_filter(client, experiment_id, runs):
    first = client.search_runs(
        [experiment_id], filter_string="metrics.x > 0", order_by=["metrics.x DESC"], max_results=3
    )
    assert names(runs, first) == ["r-d", "r-b", "r-c"]
    assert first.token
    second = client.search_runs(
        [experiment_id],
        filter_string="metrics.x > 0",
        order_by=["metrics.x DESC"],
        max_results=3,
        page_token=first.token,
    )
    assert names(runs, second) == ["r-a"]
    assert not second.token


def test_view_type(client, experiment_id, runs):
    client.delete_run(runs["r-b"])
    assert "r-b" not in search(client, experiment_id, runs)
    assert search(client, experiment_id, runs, run_view_type=ViewType.DELETED_ONLY) == ["r-b"]
    assert len(search(client, experiment_id, runs, run_view_type=ViewType.ALL)) == 5


def test_search_several_experiments(client, experiment_id, runs):
    other = client.create_experiment(unique_name("other"))
    other_run = client.create_run(other, run_name="other-run", start_time=now_ms())
    client.log_param(other_run.info.run_id, "p", "a")

    found = client.search_runs([experiment_id, other], filter_string="params.p = 'a'")
    ids = {r.info.run_id for r in found}
    assert ids == {runs["r-a"], runs["r-c"], other_run.info.run_id}
    # An experiment without runs yields nothing.
    empty = client.create_experiment(unique_name("empty"))
    assert list(client.search_runs([empty])) == []


def test_search_by_dataset(client, experiment_id, runs):
    def log(run_name, ds_name, digest, context):
        entity = DatasetEntity(
            name=ds_name, digest=digest, source_type="http", source='{"url": "http://x"}'
        )
        tags = [InputTag("mlflow.data.context", context)]
        client.log_inputs(runs[run_name], [DatasetInput(entity, tags)])

    log("r-a", "train-set", "d111", "training")
    log("r-b", "eval-set", "d222", "evaluation")
    log("r-c", "train-set", "d111", "evaluation")

    by = lambda f: set(search(client, experiment_id, runs, f))  # noqa: E731
    assert by("datasets.name = 'train-set'") == {"r-a", "r-c"}
    assert by("datasets.name = 'eval-set'") == {"r-b"}
    assert by("datasets.digest = 'd222'") == {"r-b"}
    assert by("datasets.context = 'training'") == {"r-a"}
    assert by("datasets.name IN ('train-set', 'eval-set')") == {"r-a", "r-b", "r-c"}
    assert by("datasets.name = 'train-set' AND datasets.context = 'evaluation'") == {"r-c"}


def test_fluent_search_runs_list(client, fluent_experiment):
    ids = []
    for i in range(3):
        with mlflow.start_run(run_name=f"list-{i}") as run:
            mlflow.log_metric("score", float(i))
        ids.append(run.info.run_id)

    found = mlflow.search_runs(output_format="list", order_by=["metrics.score DESC"])
    assert [r.info.run_id for r in found] == list(reversed(ids))
    assert [r.data.metrics["score"] for r in found] == [2.0, 1.0, 0.0]

    found = mlflow.search_runs(
        experiment_ids=[fluent_experiment], filter_string="metrics.score >= 1", output_format="list"
    )
    assert {r.info.run_id for r in found} == set(ids[1:])


def test_fluent_search_runs_dataframe(client, fluent_experiment):
    pytest.importorskip("pandas")
    with mlflow.start_run(run_name="df-1") as r1:
        mlflow.log_metric("acc", 0.9)
        mlflow.log_param("model", "tree")
        mlflow.set_tag("kind", "baseline")
    with mlflow.start_run(run_name="df-2") as r2:
        mlflow.log_metric("acc", 0.7)
        mlflow.log_param("model", "linear")

    df = mlflow.search_runs(order_by=["metrics.acc DESC"])
    assert list(df["run_id"]) == [r1.info.run_id, r2.info.run_id]
    assert list(df["metrics.acc"]) == [0.9, 0.7]
    assert list(df["params.model"]) == ["tree", "linear"]
    assert df["tags.kind"].iloc[0] == "baseline"
    assert df["tags.kind"].isna().iloc[1]
    assert list(df["status"]) == ["FINISHED", "FINISHED"]
    assert list(df["experiment_id"]) == [fluent_experiment] * 2
    assert list(df["tags.mlflow.runName"]) == ["df-1", "df-2"]
    for col in ("start_time", "end_time", "artifact_uri"):
        assert col in df.columns

    df = mlflow.search_runs(
        experiment_names=[client.get_experiment(fluent_experiment).name],
        filter_string="params.model = 'linear'",
    )
    assert list(df["run_id"]) == [r2.info.run_id]
