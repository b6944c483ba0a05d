"""Jobs with code, data inputs, named outputs registered as models, curated environments and
sign-in: the code folder is uploaded as a content-hashed snapshot and unpacked into the job's
working directory; a python script logs metrics through the MLflow REST API into the job's own
run and writes a named output that becomes a registered model."""

from __future__ import annotations

import base64
import os
import shutil
import textwrap

import pytest
import requests

from conftest import ML, MlwsServer, unique
from jobs_util import (EXAMPLES, cli, copy_example, get_job, logs, ok, ok_json, submit,
                       wait_status)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-jobs-assets")
    srv = MlwsServer(base / "home", log_dir=base)
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def test_hello_code_unpacks_the_snapshot(server, tmp_path):
    spec = copy_example("hello-code.yml", tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('hi')\n")
    (tmp_path / "src" / "data").mkdir()
    (tmp_path / "src" / "data" / "x.csv").write_text("a,b\n")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    assert logs(server.url, job["name"]).split() == ["data", "main.py", "outputs"]
    assert job["code"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    # Same folder again: same snapshot (content hash), not a new upload.
    again = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert again["code"] == job["code"]


def test_missing_code_folder_is_a_cli_error(server, tmp_path):
    spec = copy_example("hello-code.yml", tmp_path)
    proc = cli(server.url, "job", "create", "-f", str(spec))
    assert proc.returncode == 1 and "code" in proc.stderr and "does not exist" in proc.stderr


TRAIN = textwrap.dedent("""\
    import argparse, json, os, time, urllib.request
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    p.add_argument("--data")
    p.add_argument("--model_output")
    a = p.parse_args()
    rows = open(os.path.join(a.data, "train.csv")).read().split()
    uri = os.environ["MLFLOW_TRACKING_URI"]
    run_id = os.environ["MLFLOW_RUN_ID"]
    headers = {"Content-Type": "application/json"}
    if os.environ.get("MLFLOW_TRACKING_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]
    for step in range(3):
        body = {"run_id": run_id, "key": "loss", "value": a.lr / (step + 1),
                "timestamp": int(time.time() * 1000), "step": step}
        req = urllib.request.Request(uri + "/api/2.0/mlflow/runs/log-metric",
                                     data=json.dumps(body).encode(), headers=headers)
        urllib.request.urlopen(req).read()
    os.makedirs(a.model_output, exist_ok=True)
    with open(os.path.join(a.model_output, "model.json"), "w") as f:
        json.dump({"rows": len(rows), "lr": a.lr}, f)
    print("trained on", len(rows), "rows")
""")


def write_train_spec(folder, model_name, extra=""):
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "train.py").write_text(TRAIN)
    (folder / "data").mkdir()
    (folder / "data" / "train.csv").write_text("1\n2\n3\n")
    spec = folder / "train.yml"
    spec.write_text(textwrap.dedent(f"""\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: python3 train.py --lr ${{{{inputs.lr}}}} --data ${{{{inputs.training}}}} --model_output ${{{{outputs.model}}}}
        code: src
        inputs:
          lr: 0.5
          training:
            type: uri_folder
            path: ./data
            mode: download
        outputs:
          model:
            type: custom_model
            name: {model_name}
            version: "1"
        experiment_name: training
        environment:
          image: python:3.11
        """) + extra)
    return spec


def test_script_logs_metrics_and_registers_output_as_model(server, tmp_path):
    model = unique("model")
    spec = write_train_spec(tmp_path, model)
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    assert "trained on 3 rows" in logs(server.url, job["name"])
    hist = requests.get(f"{server.url}{ML}/metrics/get-history",
                        params={"run_id": job["run_id"], "metric_key": "loss"},
                        timeout=10).json()["metrics"]
    assert [m["value"] for m in hist] == [0.5, 0.25, 0.5 / 3]
    assert job["outputs"]["model"]["asset"] == f"azureml:{model}:1"
    assert job["inputs"]["training"]["mode"] == "download"
    # The model is registered, with the job's run as its source, and holds the output's files.
    mv = requests.get(f"{server.url}{ML}/model-versions/get",
                      params={"name": model, "version": "1"}, timeout=10)
    assert mv.status_code == 200, mv.text
    assert mv.json()["model_version"]["run_id"] == job["run_id"]
    asset = requests.get(f"{server.url}/api/v1/workspaces/default/models/{model}/versions/1",
                         timeout=10)
    assert asset.status_code == 200, asset.text
    assert job["run_id"] in asset.text  # lineage: produced by the job's run
    dest = tmp_path / "dl"
    ok(cli(server.url, "job", "download", job["name"], "--download-path", str(dest),
           "--output-name", "model"))
    assert '"rows": 3' in (dest / "named-outputs" / "model" / "model.json").read_text()


def test_registering_an_existing_version_fails_the_job(server, tmp_path):
    model = unique("dupmodel")
    first = ok_json(cli(server.url, "-o", "json", "job", "create", "-f",
                        str(write_train_spec(tmp_path / "a", model)), "--stream"))
    assert first["status"] == "Completed"
    proc = cli(server.url, "-o", "json", "job", "create", "-f",
               str(write_train_spec(tmp_path / "b", model)), "--stream")
    assert proc.returncode == 1
    assert "could not be registered" in proc.stderr


def test_missing_data_asset_is_rejected_before_anything_runs(server):
    before = requests.get(f"{server.url}/api/v1/workspaces/default/jobs", timeout=10).json()
    r = requests.post(f"{server.url}/api/v1/workspaces/default/jobs", json={
        "command": "cat ${{inputs.d}}",
        "inputs": {"d": {"type": "uri_file", "path": "azureml:no-such-data@latest"}}}, timeout=10)
    assert r.status_code == 404, r.text
    assert "no-such-data" in r.json()["message"]
    after = requests.get(f"{server.url}/api/v1/workspaces/default/jobs", timeout=10).json()
    assert after == before


def test_data_asset_input_mounted_read_only_path(server, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "rows.txt").write_text("a\nb\n")
    name = unique("rows")
    (tmp_path / "data.yml").write_text(f"name: {name}\nversion: '1'\ntype: uri_folder\npath: d\n")
    ok(cli(server.url, "data", "create", "-f", str(tmp_path / "data.yml")))
    job = submit(server.url, {"command": "cat ${{inputs.rows}}/rows.txt",
                              "inputs": {"rows": {"type": "uri_folder",
                                                  "path": f"azureml:{name}:1"}}})
    done = wait_status(server.url, job["name"], ("Completed", "Failed"))
    assert done["status"] == "Completed", done
    assert logs(server.url, job["name"]) == "a\nb\n"
    assert done["inputs"]["rows"]["asset"] == f"azureml:{name}:1"


def test_hello_mlflow_example_with_curated_environment(server, tmp_path):
    """hello-mlflow.yml unmodified: its curated sklearn-1.5 environment is built (once) as a
    virtualenv, and mlflow.log_metric inside the script lands in the job's run."""
    if os.environ.get("MLWS_SKIP_ENV_BUILD"):
        pytest.skip("MLWS_SKIP_ENV_BUILD set: the curated environment needs PyPI")
    spec = copy_example("hello-mlflow.yml", tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello-mlflow.py").write_text(
        "import mlflow\nmlflow.log_metric('hello', 1.0)\nmlflow.log_param('p', 'v')\n"
        "print('logged')\n")
    proc = cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream",
               timeout=900)
    job = ok_json(proc)
    assert job["status"] == "Completed", job
    assert job["environment"].startswith("azureml:")
    run = requests.get(f"{server.url}{ML}/runs/get", params={"run_id": job["run_id"]},
                       timeout=10).json()["run"]
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"hello": 1.0}
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"p": "v"}


def test_job_token_is_scoped_to_the_owner_and_revoked_at_the_end(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        auth = {"Authorization": "Basic " + base64.b64encode(b"alice:alice password 1").decode()}
        r = requests.post(f"{srv.url}/api/v1/users",
                          json={"name": "alice", "password": "alice password 1"}, timeout=10)
        assert r.status_code == 201, r.text
        script = ("import mlws_log, os; mlws_log.log_metric('m', 2.0); "
                  "open('token.txt', 'w').write(os.environ['MLFLOW_TRACKING_TOKEN'])")
        job = submit(srv.url, {"command": f"python3 -c \"{script}\"; cp token.txt outputs/"},
                     headers=auth)
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"), headers=auth)
        assert done["status"] == "Completed", done
        assert done["owner"] == "alice"
        run = requests.get(f"{srv.url}{ML}/runs/get", params={"run_id": done["run_id"]},
                           headers=auth, timeout=10).json()["run"]
        assert run["data"]["metrics"][0]["value"] == 2.0
        token = requests.get(
            f"{srv.url}/api/v1/workspaces/default/jobs/{job['name']}/outputs/artifacts/"
            "outputs/token.txt", headers=auth, timeout=10).text
        r = requests.get(f"{srv.url}{ML}/experiments/search?max_results=1",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 401, r.text  # revoked when the job ended
    finally:
        srv.stop()


def test_inline_conda_environment_is_built_and_used(server, tmp_path):
    (tmp_path / "conda.yml").write_text(
        "name: inline\ndependencies:\n  - python=3\n  - pip\n  - pip:\n    - six==1.16.0\n")
    spec = tmp_path / "job.yml"
    spec.write_text(
        "command: python -c 'import six, sys; print(\"six\", six.__version__, sys.prefix)'\n"
        "environment:\n  image: python:3.11\n  conda_file: conda.yml\n")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream",
                      timeout=600))
    assert job["status"] == "Completed", job
    out = logs(server.url, job["name"])
    assert "six 1.16.0" in out and "/envs/" in out, out
    # A conda file that is missing is a CLI error naming it; nothing is submitted.
    bad = tmp_path / "bad.yml"
    bad.write_text("command: 'true'\nenvironment:\n  image: python\n  conda_file: nope.yml\n")
    proc = cli(server.url, "job", "create", "-f", str(bad))
    assert proc.returncode == 1 and "conda_file 'nope.yml' does not exist" in proc.stderr
    # Over REST the conda file must be its content, not a file name.
    r = requests.post(f"{server.url}/api/v1/workspaces/default/jobs", timeout=10,
                      json={"command": "true", "environment": {"image": "p", "conda_file": "c.yml"}})
    assert r.status_code == 400 and "conda_file" in r.json()["message"]


def test_job_in_a_registered_build_context_environment(server, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM python:3.11\nRUN pip install -r requirements.txt\n")
    (ctx / "requirements.txt").write_text("six==1.16.0\n")
    env_spec = tmp_path / "env.yml"
    env_spec.write_text(f"name: {unique('ctx-env')}\nbuild:\n  path: ctx\n")
    env = ok_json(cli(server.url, "-o", "json", "environment", "create", "-f", str(env_spec)))
    spec = tmp_path / "job.yml"
    spec.write_text("command: python -c 'import six; print(\"six\", six.__version__)'\n"
                    f"environment: azureml:{env['name']}:{env['version']}\n")
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream",
                      timeout=600))
    assert job["status"] == "Completed", job
    assert "six 1.16.0" in logs(server.url, job["name"])
