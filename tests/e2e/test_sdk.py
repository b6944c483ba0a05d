"""The Python SDK (python/mlws) against a real server: jobs submitted from YAML and from
command(...), streamed, canceled and downloaded; models/data/environments/components round
trips; computes; server errors as Python exceptions carrying error_code and message; tokens and
azure-identity-style credentials."""

from __future__ import annotations

import base64
import io
import textwrap
from pathlib import Path

import pytest
import requests

import mlws
from mlws import (AmlCompute, Data, Environment, Input, MLClient, Model, Output, command,
                  load_job)
from conftest import unique
from jobs_util import GATE, open_gate, wait_status

ASSETS = Path(__file__).resolve().parents[1] / "data" / "azureml" / "cli" / "assets"


@pytest.fixture(scope="module")
def ml(server) -> MLClient:
    return MLClient(server.url, "default")


def write_job(tmp: Path, body: str) -> Path:
    (tmp / "src").mkdir(parents=True, exist_ok=True)
    (tmp / "src" / "train.py").write_text(textwrap.dedent("""
        import sys, mlws_log
        text = open(sys.argv[1]).read().strip()
        print("read:", text)
        mlws_log.log_metric("chars", len(text))
        open(sys.argv[2] + "/out.txt", "w").write(text.upper())
    """))
    (tmp / "data.txt").write_text("hello sdk\n")
    spec = tmp / "job.yml"
    spec.write_text(textwrap.dedent(body))
    return spec


def test_load_job_submit_and_stream(ml, server, tmp_path):
    spec = write_job(tmp_path / "sdk-exp", """
        command: python train.py ${{inputs.text}} ${{outputs.result}}
        code: src
        inputs:
          text:
            type: uri_file
            path: data.txt
        outputs:
          result:
            type: uri_folder
        environment:
          image: library/python:latest
    """)
    job = load_job(spec)
    assert isinstance(job, mlws.CommandJob) and job.experiment_name == "sdk-exp"
    submitted = ml.jobs.create_or_update(job)
    assert submitted.status in ("Queued", "Running") and submitted.name
    out = io.StringIO()
    ended = ml.jobs.stream(submitted.name, file=out)
    assert ended.status == "Completed", ended.error
    assert "read: hello sdk" in out.getvalue()
    assert ended.experiment_name == "sdk-exp"
    assert any(j.name == submitted.name for j in ml.jobs.list())
    ml.jobs.download(submitted.name, download_path=tmp_path / "dl", all=True)
    assert "read: hello sdk" in (tmp_path / "dl/artifacts/user_logs/std_log.txt").read_text()
    assert (tmp_path / "dl/named-outputs/result/out.txt").read_text() == "HELLO SDK"
    # the metric landed in the job's run
    run = requests.get(f"{server.url}/api/2.0/mlflow/runs/get",
                       params={"run_id": ended.run_id}, timeout=10).json()["run"]
    assert {"key": "chars", "value": 9.0} in [
        {"key": m["key"], "value": m["value"]} for m in run["data"]["metrics"]]


def test_command_builder_with_input_and_registered_output(ml, tmp_path):
    write_job(tmp_path, "command: true\n")
    name = unique("sdkout")
    job = command(command="python train.py ${{inputs.text}} ${{outputs.result}}",
                  code=str(tmp_path / "src"),
                  inputs={"text": Input(type="uri_file", path=str(tmp_path / "data.txt")),
                          "n": 3},
                  outputs={"result": Output(type="uri_folder", name=name)},
                  experiment_name="sdk-builder", display_name="built")
    done = ml.jobs.stream(ml.jobs.create_or_update(job).name, file=io.StringIO())
    assert (done.status, done.display_name) == ("Completed", "built")
    data = ml.data.get(name)
    assert data.version == "1" and data.source_run_id == done.run_id


def test_failed_job_raises_and_cancel(ml):
    failing = ml.jobs.create_or_update(command(command="echo doomed; exit 3"))
    with pytest.raises(mlws.JobFailedError) as e:
        ml.jobs.stream(failing.name, file=io.StringIO())
    assert e.value.error_code == "Failed" and "exit" in e.value.message.lower()
    assert ml.jobs.get(failing.name).exit_code == 3

    held = ml.jobs.create_or_update(command(command=GATE))
    wait_status(ml.url, held.name, "Running")
    canceled = ml.jobs.begin_cancel(held.name).result(timeout=60)
    assert canceled.status == "Canceled"
    with pytest.raises(mlws.ResourceConflictError) as e:
        ml.jobs.cancel(held.name)
    assert e.value.status_code == 409 and e.value.error_code


def test_models_data_environments_components_round_trip(ml, tmp_path):
    name = unique("sdk-model")
    m = ml.models.create_or_update(Model(name=name, path=str(ASSETS / "model/mlflow-model"),
                                         type="mlflow_model", description="first"))
    assert (m.name, m.version, m.type) == (name, "1", "mlflow_model")
    m2 = ml.models.create_or_update(mlws.load_model(ASSETS / "model/local-mlflow.yml",
                                                    name=name))
    assert m2.version == "2"
    assert [v.version for v in ml.models.list(name)] == ["2", "1"]
    assert ml.models.get(name).version == "2"
    assert ml.models.get(name, version="1").description == "first"
    ml.models.archive(name, version="2")
    assert ml.models.get(name).version == "1"  # latest skips archived versions
    ml.models.restore(name, version="2")
    assert ml.models.get(name).version == "2"

    dname = unique("sdk-data")
    d = ml.data.create_or_update(Data(name=dname, version="7", type="uri_folder",
                                      path=str(ASSETS / "data/sample-data")))
    assert (d.version, d.type) == ("7", "uri_folder") and d.content_hash
    again = ml.data.create_or_update(Data(name=dname, version="8", type="uri_folder",
                                          path=str(ASSETS / "data/sample-data")))
    assert again.content_hash == d.content_hash  # the same folder: uploaded once
    assert dname in [x.name for x in ml.data.list()]
    ml.data.archive(dname)  # every version
    assert dname not in [x.name for x in ml.data.list()]
    assert dname in [x.name for x in ml.data.list(include_archived=True)]

    ename = unique("sdk-env")
    env = ml.environments.create_or_update(mlws.load_environment(
        ASSETS / "environment/docker-image-plus-conda.yaml", name=ename))
    assert env.name == ename and env.spec["conda_file"]["dependencies"]
    assert ml.environments.get(ename, version=env.version).image == env.image

    cname = unique("sdk_comp").replace("-", "_")
    comp = ml.components.create_or_update(mlws.CommandComponent(
        name=cname, version="1", command="echo ${{inputs.x}}",
        inputs={"x": {"type": "string"}}, environment="azureml:" + ename + ":" + env.version))
    assert (comp.name, comp.version) == (cname, "1")
    assert ml.components.get(cname).version == "1"


def test_errors_carry_the_servers_code_and_message(ml, tmp_path):
    with pytest.raises(mlws.ResourceNotFoundError) as e:
        ml.jobs.get("no-such-job")
    assert e.value.status_code == 404
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST" and "no-such-job" in e.value.message

    with pytest.raises(mlws.ValidationError) as e:
        ml.jobs.create_or_update({"command": "true", "bogus_field": 1})
    assert e.value.status_code == 400 and "bogus_field" in e.value.message
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"

    name = unique("dup")
    ml.data.create_or_update(Data(name=name, version="1", path=str(ASSETS / "data/sample-data")))
    with pytest.raises(mlws.ResourceExistsError) as e:
        ml.data.create_or_update(Data(name=name, version="1",
                                      path=str(ASSETS / "data/sample-data")))
    assert e.value.error_code == "RESOURCE_ALREADY_EXISTS"

    with pytest.raises(mlws.MlwsError, match="does not exist"):
        ml.data.create_or_update(Data(name=name, path=str(tmp_path / "missing")))
    with pytest.raises(mlws.ResourceNotFoundError):
        MLClient(ml.url, "no-such-ws").jobs.list()


def test_compute_operations(ml):
    name = unique("sdk-cpu")
    made = ml.compute.begin_create_or_update(
        AmlCompute(name=name, max_instances=2, min_instances=0)).result()
    assert (made.name, made.max_instances) == (name, 2)
    assert ml.compute.get(name).type == "amlcompute"
    assert name in [c.name for c in ml.compute.list()]
    ml.compute.begin_delete(name).result()
    with pytest.raises(mlws.ResourceNotFoundError):
        ml.compute.get(name)


def test_registries_list_and_get(ml):
    try:
        regs = ml.registries.list()
    except mlws.ResourceNotFoundError as e:
        pytest.skip(f"this server has no /api/v1/registries route yet ({e.error_code})")
    assert all(r.name for r in regs)
    if regs:
        assert ml.registries.get(regs[0].name).name == regs[0].name


class FakeCredential:
    """azure-identity's shape: get_token(scope) -> an object with .token and .expires_on."""

    def __init__(self, secret):
        self.secret, self.calls = secret, 0

    def get_token(self, *scopes):
        self.calls += 1
        return type("AccessToken", (), {"token": self.secret, "expires_on": 4102444800})()


def test_credentials_token_string_and_get_token_object(spawn):
    srv = spawn()
    pw = "correct horse battery"
    r = requests.post(srv.url + "/api/v1/users", json={"name": "ann", "password": pw}, timeout=10)
    assert r.status_code == 201, r.text
    basic = {"Authorization": "Basic " + base64.b64encode(f"ann:{pw}".encode()).decode()}
    secret = requests.post(srv.url + "/api/v1/tokens", json={"name": "sdk"}, headers=basic,
                           timeout=10).json()["secret"]
    with pytest.raises(mlws.ClientAuthenticationError) as e:
        MLClient(srv.url, "default").jobs.list()
    assert e.value.status_code == 401 and e.value.error_code
    assert MLClient(srv.url, "default", secret).jobs.list() == []
    cred = FakeCredential(secret)
    client = MLClient(url=srv.url, workspace_name="default", credential=cred)
    assert client.compute.get("local").name == "local"
    client.jobs.list()
    assert cred.calls == 1  # the token is kept until it nears its expiry
    with pytest.raises(mlws.ClientAuthenticationError):
        MLClient(srv.url, "default", "mlws_not_a_token").jobs.list()
