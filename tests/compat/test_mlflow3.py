"""MLflow 3 client features: logged models, log_model + registration + load_model by every URI
form, autologging, v3 traces with spans and assessments.

Runs only with an MLflow 3.x client (``.venv-mlflow3``, or the full-mlflow ``.venv-mlflow3-server``
that scripts/test.sh also uses to start the real ``mlflow server`` the module is checked
against, ``COMPAT_TARGET_URL``). The 2.x client has none of these APIs, so the module is skipped
there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import MLFLOW_MAJOR, error_code, unique_name

if MLFLOW_MAJOR < 3:
    pytest.skip(
        "MLflow 3 features (logged models, v3 traces): needs a 3.x client",
        allow_module_level=True,
    )

# The webhook delivery test posts to a receiver on loopback: let the mlws server this suite
# starts deliver there (the server inherits this environment; the reference MLflow server is
# told the same by scripts/mlflow3_reference.sh).
os.environ.setdefault("MLWS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

import mlflow  # noqa: E402
from mlflow.entities import LoggedModelStatus  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed in this venv")
np = pytest.importorskip("numpy")


def _data():
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=60, n_features=4, random_state=0)
    return x, y


def _fit():
    from sklearn.linear_model import LogisticRegression

    x, y = _data()
    return LogisticRegression(max_iter=200).fit(x, y), x, y


# --------------------------------------------------------------------------------------------
# Logged models through the client API
# --------------------------------------------------------------------------------------------


def test_create_get_finalize_tags_params(client, experiment_id):
    m = client.create_logged_model(
        experiment_id=experiment_id,
        name="my-model",
        params={"alpha": "0.5"},
        tags={"team": "a"},
        model_type="classifier",
    )
    assert m.model_id.startswith("m-")
    assert m.name == "my-model"
    assert m.experiment_id == experiment_id
    assert m.status == LoggedModelStatus.PENDING
    assert m.params == {"alpha": "0.5"}
    assert m.tags["team"] == "a"
    assert m.model_type == "classifier"
    assert m.artifact_location.endswith(f"/models/{m.model_id}/artifacts")

    client.set_logged_model_tags(m.model_id, {"stage": "dev", "team": "b"})
    client.delete_logged_model_tag(m.model_id, "stage")
    client.log_model_params(m.model_id, {"beta": "2"})
    done = client.finalize_logged_model(m.model_id, LoggedModelStatus.READY)
    assert done.status == LoggedModelStatus.READY

    got = client.get_logged_model(m.model_id)
    assert got.tags.get("team") == "b"
    assert "stage" not in got.tags
    assert got.params == {"alpha": "0.5", "beta": "2"}
    assert got.status == LoggedModelStatus.READY
    assert got.last_updated_timestamp >= got.creation_timestamp

    failed = client.create_logged_model(experiment_id=experiment_id, name="broken")
    assert (
        client.finalize_logged_model(failed.model_id, LoggedModelStatus.FAILED).status
        == LoggedModelStatus.FAILED
    )


def test_unknown_and_deleted_models_are_not_found(client, experiment_id):
    with pytest.raises(MlflowException) as e:
        client.get_logged_model("m-" + "0" * 32)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"

    m = client.create_logged_model(experiment_id=experiment_id, name="gone")
    client.delete_logged_model(m.model_id)
    with pytest.raises(MlflowException) as e:
        client.get_logged_model(m.model_id)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
    found = client.search_logged_models(experiment_ids=[experiment_id])
    assert m.model_id not in [x.model_id for x in found]


def test_create_in_unknown_experiment_fails(client):
    with pytest.raises(MlflowException) as e:
        client.create_logged_model(experiment_id="987654321", name="x")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_search_filter_order_and_pages(client, experiment_id):
    ids = {}
    for i, (name, lr) in enumerate([("alpha", "0.1"), ("beta", "0.2"), ("gamma", "0.3")]):
        m = client.create_logged_model(
            experiment_id=experiment_id,
            name=name,
            params={"lr": lr},
            tags={"kind": "even" if i % 2 == 0 else "odd"},
        )
        ids[name] = m.model_id
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_metric("acc", 0.5 + i / 10, model_id=m.model_id)

    def names(**kw):
        return [m.name for m in client.search_logged_models(experiment_ids=[experiment_id], **kw)]

    assert set(names()) == {"alpha", "beta", "gamma"}
    assert names(filter_string="name = 'beta'") == ["beta"]
    assert sorted(names(filter_string="name LIKE '%a'")) == ["alpha", "beta", "gamma"]
    assert names(filter_string="params.lr = '0.3'") == ["gamma"]
    assert sorted(names(filter_string="tags.kind = 'even'")) == ["alpha", "gamma"]
    assert sorted(names(filter_string="metrics.acc > 0.55")) == ["beta", "gamma"]
    assert names(filter_string="metrics.acc > 0.55 AND tags.kind = 'odd'") == ["beta"]
    assert names(order_by=[{"field_name": "name", "ascending": True}]) == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert names(order_by=[{"field_name": "metrics.acc", "ascending": False}]) == [
        "gamma",
        "beta",
        "alpha",
    ]

    page1 = client.search_logged_models(
        experiment_ids=[experiment_id], max_results=2, order_by=[{"field_name": "name"}]
    )
    assert [m.name for m in page1] == ["alpha", "beta"]
    assert page1.token
    page2 = client.search_logged_models(
        experiment_ids=[experiment_id],
        max_results=2,
        order_by=[{"field_name": "name"}],
        page_token=page1.token,
    )
    assert [m.name for m in page2] == ["gamma"]
    assert not page2.token

    with pytest.raises(MlflowException) as e:
        client.search_logged_models(experiment_ids=[experiment_id], filter_string="name = ")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"


def test_metrics_linked_to_model_and_datasets(client, experiment_id):
    m = client.create_logged_model(experiment_id=experiment_id, name="scored")
    other = client.create_logged_model(experiment_id=experiment_id, name="unscored")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metric("rmse", 1.5, model_id=m.model_id)
        ds = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), name="eval-set")
        mlflow.log_metric("rmse_eval", 0.75, model_id=m.model_id, dataset=ds)
    got = client.get_logged_model(m.model_id)
    by_key = {x.key: x for x in got.metrics}
    assert by_key["rmse"].value == 1.5
    assert by_key["rmse"].run_id == run.info.run_id
    assert by_key["rmse_eval"].dataset_name == "eval-set"
    assert by_key["rmse_eval"].dataset_digest == ds.digest
    # The run has the metrics too.
    assert client.get_run(run.info.run_id).data.metrics["rmse"] == 1.5

    def search(name):
        # MLflow's SQL store matches a dataset without a digest to nothing: pass both.
        found = client.search_logged_models(
            experiment_ids=[experiment_id],
            filter_string="metrics.rmse_eval < 1",
            datasets=[{"dataset_name": name, "dataset_digest": ds.digest}],
        )
        return [x.model_id for x in found]

    assert search("eval-set") == [m.model_id]
    assert search("other-set") == []
    assert other.model_id not in search("eval-set")


# --------------------------------------------------------------------------------------------
# log_model, registration, load_model
# --------------------------------------------------------------------------------------------


def test_sklearn_log_model_register_and_load_by_every_uri(client, fluent_experiment):
    from mlflow.models import infer_signature

    model, x, _ = _fit()
    rm = unique_name("rm")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(x, model.predict(x)),
            input_example=x[:2],
            registered_model_name=rm,
        )
    run_id = run.info.run_id
    expected = model.predict(x[:5])
    assert info.model_id.startswith("m-")
    assert str(info.registered_model_version) == "1"

    lm = client.get_logged_model(info.model_id)
    assert lm.status == LoggedModelStatus.READY
    assert lm.source_run_id == run_id
    assert lm.name == "model"
    # The run records the model it produced.
    outputs = client.get_run(run_id).outputs
    assert info.model_id in [o.model_id for o in outputs.model_outputs]

    mv = client.get_model_version(rm, "1")
    assert mv.source == f"models:/{info.model_id}"
    assert mv.run_id == run_id
    client.set_registered_model_alias(rm, "champion", "1")

    for uri in (
        f"models:/{info.model_id}",
        f"runs:/{run_id}/model",
        f"models:/{rm}@champion",
        f"models:/{rm}/1",
    ):
        loaded = mlflow.pyfunc.load_model(uri)
        assert list(loaded.predict(x[:5])) == list(expected), uri
        assert loaded.metadata.signature is not None, uri

    rm2 = unique_name("rm2")
    v = mlflow.register_model(f"models:/{info.model_id}", rm2)
    assert v.version == "1"
    assert client.get_model_version(rm2, "1").source == f"models:/{info.model_id}"
    loaded = mlflow.sklearn.load_model(f"models:/{rm2}/1")
    assert list(loaded.predict(x[:5])) == list(expected)


def test_sklearn_autolog_logs_params_metrics_and_model(client, fluent_experiment):
    from sklearn.linear_model import LogisticRegression

    x, y = _data()
    mlflow.sklearn.autolog(log_input_examples=False, log_model_signatures=True, silent=True)
    try:
        with mlflow.start_run() as run:
            LogisticRegression(max_iter=123).fit(x, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    data = client.get_run(run.info.run_id).data
    assert data.params["max_iter"] == "123"
    assert "training_accuracy_score" in data.metrics
    models = client.search_logged_models(
        experiment_ids=[fluent_experiment],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    )
    assert len(models) == 1
    model = models[0]
    assert model.status == LoggedModelStatus.READY
    assert "training_accuracy_score" in {m.key for m in model.metrics}
    loaded = mlflow.pyfunc.load_model(f"models:/{model.model_id}")
    assert len(loaded.predict(x[:3])) == 3


def test_set_active_model_links_traces(client, fluent_experiment):
    active = mlflow.set_active_model(name=unique_name("active"))
    try:
        assert active.model_id.startswith("m-")
        got = client.get_logged_model(active.model_id)
        assert got.name == active.name
        # Setting the same name again reuses the model.
        again = mlflow.set_active_model(name=active.name)
        assert again.model_id == active.model_id
    finally:
        mlflow.clear_active_model()


def test_log_inputs_with_models(client, experiment_id):
    from mlflow.entities import LoggedModelInput

    m = client.create_logged_model(experiment_id=experiment_id, name="consumed")
    run = client.create_run(experiment_id)
    client.log_inputs(run.info.run_id, models=[LoggedModelInput(m.model_id)])
    inputs = client.get_run(run.info.run_id).inputs
    assert [i.model_id for i in inputs.model_inputs] == [m.model_id]


# --------------------------------------------------------------------------------------------
# Traces (v3) with spans, tags, search, deletion, run links, assessments
# --------------------------------------------------------------------------------------------


def _traced_call(value: int) -> str:
    @mlflow.trace(name="outer", span_type="CHAIN")
    def outer(x):
        return inner(x) * 2

    @mlflow.trace(name="inner", span_type="LLM")
    def inner(x):
        return x + 1

    assert outer(value) == (value + 1) * 2
    trace_id = mlflow.get_last_active_trace_id()
    mlflow.flush_trace_async_logging()
    return trace_id


def test_trace_round_trip_keeps_client_id_and_spans(client, fluent_experiment):
    trace_id = _traced_call(1)
    assert trace_id.startswith("tr-")
    trace = client.get_trace(trace_id)
    assert trace.info.trace_id == trace_id
    assert trace.info.experiment_id == fluent_experiment
    assert trace.info.state.value == "OK"
    assert trace.info.execution_time_ms is not None
    assert sorted(s.name for s in trace.data.spans) == ["inner", "outer"]
    by_name = {s.name: s for s in trace.data.spans}
    assert by_name["inner"].parent_id == by_name["outer"].span_id
    assert by_name["inner"].inputs == {"x": 1}
    assert by_name["outer"].outputs == 4

    with pytest.raises(MlflowException) as e:
        client.get_trace("tr-" + "0" * 32)
    assert error_code(e) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def test_search_traces_filters_order_and_pages(client, fluent_experiment):
    with mlflow.start_run() as run:
        in_run = _traced_call(2)
    first = _traced_call(3)
    second = _traced_call(4)
    client.set_trace_tag(second, "color", "blue")
    client.set_trace_tag(first, "color", "red")
    client.delete_trace_tag(first, "color")

    def ids(filter_string=None, **kw):
        found = client.search_traces(
            locations=[fluent_experiment], filter_string=filter_string, **kw
        )
        return [t.info.trace_id for t in found]

    assert set(ids()) == {in_run, first, second}
    assert ids("tag.color = 'blue'") == [second]
    assert ids("tag.color = 'red'") == []
    assert ids("trace.status = 'OK'", order_by=["timestamp_ms ASC"]) == [in_run, first, second]
    assert ids(order_by=["timestamp_ms DESC"]) == [second, first, in_run]
    assert ids(f"metadata.`mlflow.sourceRun` = '{run.info.run_id}'") == [in_run]
    assert ids(f"run_id = '{run.info.run_id}'") == [in_run]
    assert ids("trace.name = 'outer'", order_by=["timestamp_ms ASC"]) == [in_run, first, second]
    assert set(ids("span.name = 'inner'")) == {in_run, first, second}
    assert ids("span.name = 'nope'") == []

    page = client.search_traces(
        locations=[fluent_experiment], max_results=2, order_by=["timestamp_ms ASC"]
    )
    assert [t.info.trace_id for t in page] == [in_run, first]
    assert page.token
    rest = client.search_traces(
        locations=[fluent_experiment],
        max_results=2,
        order_by=["timestamp_ms ASC"],
        page_token=page.token,
    )
    assert [t.info.trace_id for t in rest] == [second]

    with pytest.raises(MlflowException) as e:
        client.search_traces(locations=[fluent_experiment], filter_string="trace.bogus = 1")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"

    # Linking to another run makes the trace found by that run's id too.
    other = client.create_run(fluent_experiment)
    client.link_traces_to_run([first], other.info.run_id)
    assert ids(f"run_id = '{other.info.run_id}'") == [first]


def test_delete_traces_by_id_and_by_age(client, fluent_experiment):
    a = _traced_call(5)
    b = _traced_call(6)
    assert client.delete_traces(fluent_experiment, trace_ids=[a]) == 1
    remaining = client.search_traces(locations=[fluent_experiment])
    assert [t.info.trace_id for t in remaining] == [b]
    latest = client.get_trace(b).info.request_time + 1
    assert client.delete_traces(fluent_experiment, max_timestamp_millis=latest, max_traces=10) == 1
    assert list(client.search_traces(locations=[fluent_experiment])) == []


def test_assessments_feedback_expectation_update_override_delete(client, fluent_experiment):
    from mlflow.entities import AssessmentSource, AssessmentSourceType, Feedback

    trace_id = _traced_call(7)
    human = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="bob")
    fb = mlflow.log_feedback(
        trace_id=trace_id, name="quality", value=0.5, source=human, rationale="meh"
    )
    ex = mlflow.log_expectation(trace_id=trace_id, name="expected", value="8", source=human)
    assert fb.assessment_id and ex.assessment_id and fb.assessment_id != ex.assessment_id

    got = mlflow.get_assessment(trace_id, fb.assessment_id)
    assert got.name == "quality" and got.value == 0.5 and got.rationale == "meh"
    assert got.source.source_id == "bob"
    assert mlflow.get_assessment(trace_id, ex.assessment_id).value == "8"

    updated = mlflow.update_assessment(
        trace_id=trace_id,
        assessment_id=fb.assessment_id,
        assessment=Feedback(name="quality", value=0.7, rationale="better"),
    )
    assert updated.value == 0.7 and updated.rationale == "better"
    assert mlflow.get_assessment(trace_id, fb.assessment_id).value == 0.7

    new = mlflow.override_feedback(
        trace_id=trace_id, assessment_id=fb.assessment_id, value=0.9, rationale="fixed"
    )
    assert new.overrides == fb.assessment_id
    assert mlflow.get_assessment(trace_id, fb.assessment_id).valid is False
    names = sorted(a.name for a in client.get_trace(trace_id).info.assessments)
    assert names == ["expected", "quality", "quality"]

    mlflow.delete_assessment(trace_id=trace_id, assessment_id=new.assessment_id)
    assert mlflow.get_assessment(trace_id, fb.assessment_id).valid is True
    mlflow.delete_assessment(trace_id=trace_id, assessment_id=ex.assessment_id)
    with pytest.raises(MlflowException) as e:
        mlflow.get_assessment(trace_id, ex.assessment_id)
    assert error_code(e) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


# --------------------------------------------------------------------------------------------
# Smaller 3.x routes: delete-experiment-tag, webhooks, server-info
# --------------------------------------------------------------------------------------------


def test_delete_experiment_tag(client, experiment_id):
    client.set_experiment_tag(experiment_id, "keep", "1")
    client.set_experiment_tag(experiment_id, "drop", "2")
    client.delete_experiment_tag(experiment_id, "drop")
    tags = client.get_experiment(experiment_id).tags
    assert tags.get("keep") == "1" and "drop" not in tags


def test_webhooks_crud(client):
    from mlflow.entities.webhook import WebhookAction, WebhookEntity, WebhookEvent, WebhookStatus

    event = WebhookEvent(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED)
    hook = client.create_webhook(
        name=unique_name("hook")[:40],
        url="https://127.0.0.1:9/mlflow",  # loopback: nothing is delivered
        events=[event],
        description="first",
        secret="s3cret",
    )
    assert hook.webhook_id
    assert hook.status == WebhookStatus.ACTIVE
    got = client.get_webhook(hook.webhook_id)
    assert got.url == "https://127.0.0.1:9/mlflow"
    assert [(e.entity, e.action) for e in got.events] == [
        (WebhookEntity.MODEL_VERSION, WebhookAction.CREATED)
    ]
    assert hook.webhook_id in [w.webhook_id for w in client.list_webhooks(max_results=100)]

    updated = client.update_webhook(
        hook.webhook_id, description="second", status=WebhookStatus.DISABLED
    )
    assert updated.description == "second" and updated.status == WebhookStatus.DISABLED
    client.delete_webhook(hook.webhook_id)
    with pytest.raises(MlflowException) as e:
        client.get_webhook(hook.webhook_id)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"



def _receiver():
    got: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            got.put((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, got


def _verified(headers: dict, body: str, secret: str) -> dict:
    signed = f"{headers['X-MLflow-Delivery-Id']}.{headers['X-MLflow-Timestamp']}.{body}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    assert headers["X-MLflow-Signature"] == "v1," + base64.b64encode(mac).decode()
    return json.loads(body)


def test_webhook_delivery_and_test(client):
    from mlflow.entities.webhook import WebhookAction, WebhookEntity, WebhookEvent

    httpd, got = _receiver()
    try:
        # An event no other test here sends: MLflow caches the webhooks of an event for 60 s.
        event = WebhookEvent(WebhookEntity.MODEL_VERSION_ALIAS, WebhookAction.DELETED)
        hook = client.create_webhook(
            name=unique_name("deliver"),
            url=f"http://127.0.0.1:{httpd.server_address[1]}/hook",
            events=[event],
            secret="compat-secret",
        )
        name = unique_name("whm")
        client.create_registered_model(name)
        client.create_model_version(name, source="s3://bucket/model")
        client.set_registered_model_alias(name, "champion", "1")
        client.delete_registered_model_alias(name, "champion")
        payload = _verified(*got.get(timeout=60), "compat-secret")
        assert (payload["entity"], payload["action"]) == ("model_version_alias", "deleted")
        assert payload["data"] == {"name": name, "alias": "champion"}

        result = client.test_webhook(hook.webhook_id)
        assert result.success is True and result.response_status == 200
        payload = _verified(*got.get(timeout=60), "compat-secret")
        assert payload["data"] == {"name": "example_model", "alias": "example_alias"}
        client.delete_webhook(hook.webhook_id)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_server_info(server_url):
    import requests

    info = requests.get(f"{server_url}/api/3.0/mlflow/server-info", timeout=30).json()
    assert info["multipart_uploads_enabled"] is False
    assert "store_type" in info


# --------------------------------------------------------------------------------------------
# GenAI evaluation datasets
# --------------------------------------------------------------------------------------------


def test_evaluation_dataset_records(client, experiment_id):
    from mlflow.genai.datasets import create_dataset, delete_dataset, get_dataset, search_datasets

    name = unique_name("eval")
    ds = create_dataset(name=name, experiment_id=[experiment_id], tags={"team": "a"})
    assert ds.dataset_id and ds.name == name
    ds.merge_records(
        [
            {"inputs": {"q": "1+1"}, "expectations": {"answer": "2"}},
            {"inputs": {"q": "2+2"}, "expectations": {"answer": "4"}},
        ]
    )
    ds.merge_records([{"inputs": {"q": "1+1"}, "expectations": {"answer": "two"}}])
    df = get_dataset(dataset_id=ds.dataset_id).to_df()
    rows = sorted((r["inputs"]["q"], r["expectations"]["answer"]) for _, r in df.iterrows())
    assert rows == [("1+1", "two"), ("2+2", "4")]
    got = get_dataset(dataset_id=ds.dataset_id)
    assert got.tags.get("team") == "a"
    assert experiment_id in got.experiment_ids

    found = search_datasets(experiment_ids=[experiment_id])
    assert ds.dataset_id in [d.dataset_id for d in found]

    delete_dataset(dataset_id=ds.dataset_id)
    with pytest.raises(MlflowException) as e:
        get_dataset(dataset_id=ds.dataset_id)
    assert error_code(e) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def test_reserved_latest_alias_names_the_highest_version(client):
    name = unique_name("latest-alias")
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as e:
        client.get_model_version_by_alias(name, "latest")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
    for _ in range(3):
        client.create_model_version(name, "s3://bucket/latest-alias/model")
    client.transition_model_version_stage(name, "1", "Production")
    assert client.get_model_version_by_alias(name, "latest").version == "3"
    assert client.get_model_version_by_alias(name, "LATEST").version == "3"
    with pytest.raises(MlflowException) as e:
        client.set_registered_model_alias(name, "latest", "1")
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
