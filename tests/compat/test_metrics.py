"""Metrics: values, steps, timestamps, history and the "latest value" of a run."""

import math
import sys

import mlflow
import pytest
from mlflow.entities import Metric

from conftest import metric_history, now_ms

DBL_MAX = sys.float_info.max


def is_pos_inf(value):
    """+inf; MLflow's SQL store persists +/-inf as +/-DBL_MAX, which the client then reads back."""
    return value in (math.inf, DBL_MAX)


def is_neg_inf(value):
    return value in (-math.inf, -DBL_MAX)


def test_log_metric_with_steps_and_timestamps(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "loss", 1.0, timestamp=ts, step=0)
    client.log_metric(run_id, "loss", 0.5, timestamp=ts + 10, step=1)
    client.log_metric(run_id, "loss", 0.25, timestamp=ts + 20, step=2)

    history = client.get_metric_history(run_id, "loss")
    assert [(m.key, m.step, m.timestamp, m.value) for m in history] == [
        ("loss", 0, ts, 1.0),
        ("loss", 1, ts + 10, 0.5),
        ("loss", 2, ts + 20, 0.25),
    ]
    assert client.get_run(run_id).data.metrics == {"loss": 0.25}


def test_metric_default_step_and_timestamp(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    before = now_ms()
    client.log_metric(run_id, "m", 7.0)
    after = now_ms()
    [point] = client.get_metric_history(run_id, "m")
    assert point.step == 0
    assert point.value == 7.0
    assert before <= point.timestamp <= after


def test_several_values_at_the_same_step(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "m", 1.0, timestamp=ts, step=3)
    client.log_metric(run_id, "m", 2.0, timestamp=ts + 1, step=3)
    client.log_metric(run_id, "m", 3.0, timestamp=ts + 2, step=3)
    assert sorted(metric_history(client, run_id, "m")) == [
        (3, ts, 1.0),
        (3, ts + 1, 2.0),
        (3, ts + 2, 3.0),
    ]
    assert client.get_run(run_id).data.metrics == {"m": 3.0}


def test_identical_points_are_stored_once(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "m", 1.5, timestamp=ts, step=1)
    client.log_metric(run_id, "m", 1.5, timestamp=ts, step=1)
    client.log_batch(run_id, metrics=[Metric("m", 1.5, ts, 1)])
    assert metric_history(client, run_id, "m") == [(1, ts, 1.5)]


def test_latest_metric_is_the_one_with_the_highest_step(client, experiment_id):
    """The run's metric value is the point with the max (step, timestamp), not the last logged."""
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "m", 10.0, timestamp=ts, step=5)
    client.log_metric(run_id, "m", 99.0, timestamp=ts + 1000, step=2)  # later, lower step
    assert client.get_run(run_id).data.metrics == {"m": 10.0}

    client.log_metric(run_id, "t", 1.0, timestamp=ts + 500, step=0)
    client.log_metric(run_id, "t", 2.0, timestamp=ts, step=0)  # same step, older timestamp
    assert client.get_run(run_id).data.metrics["t"] == 1.0


def test_history_of_out_of_order_steps(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    for step in (4, 0, 3, 1, 2):
        client.log_metric(run_id, "m", float(step * 10), timestamp=ts + step, step=step)
    history = metric_history(client, run_id, "m")
    assert sorted(history) == [(s, ts + s, float(s * 10)) for s in range(5)]


def test_nan_and_infinity_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "nan", float("nan"), timestamp=ts, step=0)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=ts, step=0)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=ts, step=0)
    client.log_batch(
        run_id,
        metrics=[
            Metric("mixed", 1.0, ts, 0),
            Metric("mixed", float("nan"), ts, 1),
            Metric("mixed", float("inf"), ts, 2),
            Metric("mixed", float("-inf"), ts, 3),
        ],
    )

    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert is_pos_inf(metrics["pinf"])
    assert is_neg_inf(metrics["ninf"])
    assert is_neg_inf(metrics["mixed"])

    [nan_point] = client.get_metric_history(run_id, "nan")
    assert math.isnan(nan_point.value) and nan_point.step == 0 and nan_point.timestamp == ts
    [pinf] = client.get_metric_history(run_id, "pinf")
    [ninf] = client.get_metric_history(run_id, "ninf")
    assert is_pos_inf(pinf.value) and is_neg_inf(ninf.value)
    mixed = sorted(client.get_metric_history(run_id, "mixed"), key=lambda m: m.step)
    assert [m.step for m in mixed] == [0, 1, 2, 3]
    assert mixed[0].value == 1.0
    assert math.isnan(mixed[1].value)
    assert is_pos_inf(mixed[2].value)
    assert is_neg_inf(mixed[3].value)


def test_extreme_values_round_trip(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    values = {
        "tiny": 5e-324,
        "huge": 1.7976931348623157e308,
        "neg": -123456.789,
        "zero": 0.0,
        "third": 1 / 3,
        "int": 42,
    }
    for key, value in values.items():
        client.log_metric(run_id, key, value)
    assert client.get_run(run_id).data.metrics == {k: float(v) for k, v in values.items()}


def test_large_step_and_negative_step(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "m", 1.0, timestamp=ts, step=2**40)
    client.log_metric(run_id, "m", 2.0, timestamp=ts, step=-3)
    assert sorted(metric_history(client, run_id, "m")) == [(-3, ts, 2.0), (2**40, ts, 1.0)]
    assert client.get_run(run_id).data.metrics == {"m": 1.0}


def test_history_of_unknown_metric_is_empty(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "known", 1.0)
    assert client.get_metric_history(run_id, "unknown") == []


def test_history_keys_are_separate(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    client.log_metric(run_id, "a", 1.0, timestamp=ts, step=0)
    client.log_metric(run_id, "b", 2.0, timestamp=ts, step=0)
    client.log_metric(run_id, "a/b.c d-e:f", 3.0, timestamp=ts, step=0)
    assert metric_history(client, run_id, "a") == [(0, ts, 1.0)]
    assert metric_history(client, run_id, "b") == [(0, ts, 2.0)]
    assert metric_history(client, run_id, "a/b.c d-e:f") == [(0, ts, 3.0)]


def test_fluent_log_metric_and_metrics(client, fluent_experiment):
    with mlflow.start_run() as run:
        for step, value in enumerate([0.9, 0.7, 0.4]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_metrics({"acc": 0.6, "f1": 0.5}, step=0)
        mlflow.log_metrics({"acc": 0.8, "f1": 0.7}, step=1)
    run_id = run.info.run_id

    assert client.get_run(run_id).data.metrics == {"loss": 0.4, "acc": 0.8, "f1": 0.7}
    loss = sorted(client.get_metric_history(run_id, "loss"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in loss] == [(0, 0.9), (1, 0.7), (2, 0.4)]
    timestamps = [m.timestamp for m in loss]
    assert timestamps == sorted(timestamps)
    acc = sorted(client.get_metric_history(run_id, "acc"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in acc] == [(0, 0.6), (1, 0.8)]


def test_fluent_log_metric_nan(client, fluent_experiment):
    with mlflow.start_run() as run:
        mlflow.log_metric("x", float("nan"))
        mlflow.log_metric("y", float("inf"), step=1)
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["x"])
    assert is_pos_inf(metrics["y"])


def test_metric_history_length(client, experiment_id):
    """Long histories come back complete (the client follows next_page_token if any)."""
    run_id = client.create_run(experiment_id).info.run_id
    ts = now_ms()
    for chunk in range(3):
        client.log_batch(
            run_id,
            metrics=[Metric("long", float(i), ts + i, i) for i in range(chunk * 1000, (chunk + 1) * 1000)],
        )
    history = sorted(metric_history(client, run_id, "long"))
    assert len(history) == 3000
    assert history == [(i, ts + i, float(i)) for i in range(3000)]


@pytest.mark.parametrize("bad", ["", "a" * 251, "../x", "/abs"])
def test_invalid_metric_keys_are_rejected(client, experiment_id, bad):
    from mlflow.exceptions import MlflowException

    run_id = client.create_run(experiment_id).info.run_id
    with pytest.raises(MlflowException) as e:
        client.log_metric(run_id, bad, 1.0)
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
