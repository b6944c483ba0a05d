"""Batch endpoints through the CLI and over HTTP: specs, a driver scored in parallel with
retries, the per-mini-batch timeout and the error threshold, init() failures, the job as an
ordinary job (list, show, stream, download), and the Azure ML heart-classifier-mlflow example."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
import requests

from conftest import MlwsServer, assert_error
from jobs_util import DATA, cli, get_job, ok, ok_json, wait_status

HEART = DATA / "endpoints" / "batch" / "deploy-models" / "heart-classifier-mlflow"

# A driver that needs only the standard library. Rows: [file, lines, model file]. Behaviour by
# environment variable: FAIL_INIT raises in init(); FAIL_FILES="f3,f4" makes run() raise for
# those files on every try; FLAKY="f3" raises on the first try only; BLOCK="f2" blocks the first
# try (until the runner kills it at the timeout). Markers live in the job's working folder.
DRIVER = '''
import os, time

def init():
    global model_files
    if os.environ.get("FAIL_INIT"):
        raise RuntimeError("init exploded on purpose")
    model_files = sorted(os.listdir(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model")))

def first_try(tag):
    marker = "tried-" + tag
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True

def run(mini_batch):
    rows = []
    for path in mini_batch:
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in os.environ.get("FAIL_FILES", "").split(","):
            raise ValueError("cannot score " + stem)
        if stem == os.environ.get("FLAKY") and first_try(stem):
            raise ValueError("flaky " + stem)
        if stem == os.environ.get("BLOCK") and first_try(stem):
            time.sleep(600)
        rows.append([os.path.basename(path), len(open(path).read().splitlines()), model_files[0]])
    return rows
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-batch")
    srv = MlwsServer(base / "home", log_dir=base)
    srv.start()
    yield srv
    srv.stop()


def batch_url(url, name="", ws="default"):
    base = f"{url}/api/v1/workspaces/{ws}/batch-endpoints"
    return f"{base}/{name}" if name else base


CODES = {400: ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"),
         404: ("RESOURCE_DOES_NOT_EXIST",)}


def err(resp, status, *parts):
    return assert_error(resp, status, CODES[status], *parts)


def write_files(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        (folder / f"f{i}.csv").write_text("x,y\n" + "\n".join(f"{i},{j}" for j in range(i)) + "\n")
    return folder


def write_deployment(tmp: Path, name: str, endpoint: str, settings: str = "",
                     env: dict | None = None, instances: int = 1) -> Path:
    d = tmp / f"dep-{name}"
    (d / "code").mkdir(parents=True, exist_ok=True)
    (d / "code" / "driver.py").write_text(DRIVER)
    (d / "model").mkdir(exist_ok=True)
    (d / "model" / "weights.txt").write_text(name)
    lines = [f"name: {name}", f"endpoint_name: {endpoint}", "type: model", "model:",
             "  path: model", "code_configuration:", "  code: code",
             "  scoring_script: driver.py", "resources:", f"  instance_count: {instances}",
             "settings:", "  max_concurrency_per_instance: 2", "  mini_batch_size: 1",
             "  output_file_name: predictions.csv"]
    lines += [f"  {line}" for line in settings.strip().splitlines() if line.strip()]
    if env:
        lines.append("environment_variables:")
        lines += [f"  {k}: \"{v}\"" for k, v in env.items()]
    spec = d / "deployment.yml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def endpoint(url, tmp, name):
    spec = tmp / f"ep-{name}.yml"
    spec.write_text(f"name: {name}\ndescription: test endpoint\nauth_mode: aad_token\n")
    return ok_json(cli(url, "-o", "json", "batch-endpoint", "create", "-f", str(spec)))


def invoke(url, name, folder, *extra):
    return ok_json(cli(url, "-o", "json", "batch-endpoint", "invoke", "-n", name, "--input",
                       str(folder), *extra))


def predictions(url, job, tmp, file_name="predictions.csv"):
    dest = tmp / f"dl-{job}"
    ok(cli(url, "job", "download", job, "--output-name", "score", "--download-path", str(dest)))
    found = list(dest.rglob(file_name))
    assert len(found) == 1, list(dest.rglob("*"))
    with open(found[0], newline="") as f:
        return list(csv.reader(f))


def logs(url, job):
    r = requests.get(f"{url}/api/v1/workspaces/default/jobs/{job}/logs", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_batch_specs_are_validated_and_bad_ones_change_nothing(server, tmp_path):
    url = server.url
    for spec, part in [({"name": "x"}, "invalid endpoint name"),
                       ({"name": "good-name", "auth_mode": "key"}, "auth_mode"),
                       ({"name": "good-name", "bogus": 1}, "unknown field 'bogus'"),
                       ({"name": "good-name", "defaults": {"deployment_name": "dep-one"}},
                        "no deployments yet"),
                       ({}, "'name' is required")]:
        err(requests.post(batch_url(url), json=spec, timeout=10), 400, part)
    assert requests.get(batch_url(url), timeout=10).json()["value"] == []
    endpoint(url, tmp_path, "spec-ep")
    err(requests.post(batch_url(url), json={"name": "spec-ep"}, timeout=10), 400, "already exists")
    base = {"name": "dep-one", "model": "azureml:nope:1"}
    deps = f"{batch_url(url, 'spec-ep')}/deployments"
    for extra, part in [({"settings": {"output_action": "append_rows"}}, "output_action"),
                        ({"settings": {"mini_batch_size": "10kb"}}, "number of files"),
                        ({"settings": {"max_concurrency_per_instance": 0}}, "within 1..64"),
                        ({"settings": {"retry_settings": {"timeout": 0}}}, "timeout"),
                        ({"settings": {"error_threshold": -2}}, "error_threshold"),
                        ({"settings": {"logging_level": "loud"}}, "logging_level"),
                        ({"settings": {"bogus": 1}}, "unknown field 'bogus'"),
                        ({"resources": {"instance_count": 17}}, "within 1..16"),
                        ({"type": "pipeline"}, "'type'"),
                        ({"model": "model.pkl"}, "'model'")]:
        err(requests.post(deps, json={**base, **extra}, timeout=10), 400, part)
    err(requests.post(deps, json=base, timeout=10), 404, "nope")
    # A custom model needs a driver; a driver must be in the code folder; computes must exist.
    spec = write_deployment(tmp_path, "dep-one", "spec-ep")
    text = spec.read_text()
    spec.write_text(text.replace("code_configuration:\n  code: code\n  scoring_script: driver.py\n",
                                 ""))
    proc = cli(url, "batch-deployment", "create", "-f", str(spec))
    assert proc.returncode == 1 and "needs code_configuration" in proc.stderr, proc.stderr
    spec.write_text(text.replace("scoring_script: driver.py", "scoring_script: other.py"))
    proc = cli(url, "batch-deployment", "create", "-f", str(spec))
    assert proc.returncode == 1 and "'other.py' is not in the code folder" in proc.stderr
    spec.write_text(text + "compute: azureml:no-such-cluster\n")
    proc = cli(url, "batch-deployment", "create", "-f", str(spec))
    assert proc.returncode == 1 and "no-such-cluster" in proc.stderr, proc.stderr
    assert requests.get(deps, timeout=10).json()["value"] == []
    # Invoking: no deployment yet, an unknown input, an input that is no reference.
    err(requests.post(f"{batch_url(url, 'spec-ep')}/invoke", json={"input": "azureml:x:1"},
                      timeout=10), 400, "no deployment")
    spec.write_text(text)
    ok(cli(url, "batch-deployment", "create", "-f", str(spec)))
    jobs_before = requests.get(f"{url}/api/v1/workspaces/default/jobs", timeout=10).json()
    err(requests.post(f"{batch_url(url, 'spec-ep')}/invoke",
                      json={"input": "azureml:no-such-data:1"}, timeout=10), 404, "no-such-data")
    err(requests.post(f"{batch_url(url, 'spec-ep')}/invoke", json={"input": "/etc"}, timeout=10),
        400, "'input' must be")
    err(requests.post(f"{batch_url(url, 'spec-ep')}/invoke", json={"input": "azureml:x:1",
                                                                   "bogus": 1}, timeout=10),
        400, "unknown field")
    proc = cli(url, "batch-endpoint", "invoke", "-n", "spec-ep", "--input", str(tmp_path / "nope"))
    assert proc.returncode == 1 and "neither an azureml: reference" in proc.stderr
    assert requests.get(f"{url}/api/v1/workspaces/default/jobs", timeout=10).json() == jobs_before
    err(requests.post(f"{batch_url(url, 'no-such-ep')}/invoke", json={"input": "azureml:x:1"},
                      timeout=10), 404, "not found")
    ok(cli(url, "batch-endpoint", "delete", "-n", "spec-ep", "--yes"))
    err(requests.get(batch_url(url, "spec-ep"), timeout=10), 404, "not found")


def test_driver_scores_in_parallel_with_retries_and_timeout(server, tmp_path):
    url = server.url
    e = endpoint(url, tmp_path, "drv-ep")
    assert e["default_deployment"] == ""
    spec = write_deployment(tmp_path, "dep-a", "drv-ep", env={"FLAKY": "f3", "BLOCK": "f2"},
                            settings="retry_settings:\n  max_retries: 2\n  timeout: 5\n")
    d = ok_json(cli(url, "-o", "json", "batch-deployment", "create", "-f", str(spec)))
    assert d["settings"]["max_retries"] == 2 and d["model_type"] == "custom_model"
    shown = ok_json(cli(url, "-o", "json", "batch-endpoint", "show", "-n", "drv-ep"))
    assert shown["default_deployment"] == "dep-a"  # the first deployment is the default
    job = invoke(url, "drv-ep", write_files(tmp_path / "in", 5))
    assert job["display_name"] == "drv-ep-dep-a" and job["experiment_name"] == "drv-ep"
    ok(cli(url, "job", "stream", job["name"]))
    done = get_job(url, job["name"])
    assert done["status"] == "Completed", done
    rows = predictions(url, job["name"], tmp_path)
    assert sorted(rows) == [[f"f{i}.csv", str(i + 1), "weights.txt"] for i in range(1, 6)]
    text = logs(url, job["name"])
    assert "with 2 workers" in text, text
    assert "try 1 of 3: run() raised ValueError: flaky f3; trying again" in text, text
    assert "try 1 of 3: timed out after 5 s" in text, text
    assert "5 of 5 files scored, 0 failed" in text, text
    listed = ok_json(cli(url, "-o", "json", "batch-endpoint", "list-jobs", "-n", "drv-ep"))
    assert [j["name"] for j in listed["value"]] == [job["name"]]
    all_jobs = ok_json(cli(url, "-o", "json", "job", "list"))["value"]
    assert job["name"] in [j["name"] for j in all_jobs]


def test_error_threshold_and_summary_only(server, tmp_path):
    url = server.url
    endpoint(url, tmp_path, "thr-ep")
    failing = {"FAIL_FILES": "f3,f4"}
    spec = write_deployment(tmp_path, "strict", "thr-ep", env=failing,
                            settings="error_threshold: 1\nretry_settings:\n  max_retries: 1\n")
    ok(cli(url, "batch-deployment", "create", "-f", str(spec)))
    lenient = write_deployment(tmp_path, "lenient", "thr-ep", env=failing,
                               settings="error_threshold: -1\noutput_action: summary_only\n"
                                        "retry_settings:\n  max_retries: 0\n")
    ok(cli(url, "batch-deployment", "create", "-f", str(lenient)))
    data = write_files(tmp_path / "in", 5)
    job = invoke(url, "thr-ep", data)  # the default: strict
    assert job["tags"]["mlws.batch_deployment"] == "strict"
    failed = wait_status(url, job["name"], ("Failed", "Completed"), timeout=120)
    assert failed["status"] == "Failed", failed
    assert "2 files failed, more than error_threshold 1" in failed["error"], failed["error"]
    assert "run() raised ValueError: cannot score f3" in logs(url, job["name"])
    job = invoke(url, "thr-ep", data, "--deployment-name", "lenient")
    done = wait_status(url, job["name"], ("Failed", "Completed"), timeout=120)
    assert done["status"] == "Completed", done
    text = logs(url, job["name"])
    assert "3 of 5 files scored, 2 failed" in text and "summary_only" in text, text
    # --set-default moves the default; the default cannot be deleted while others exist.
    ok(cli(url, "batch-deployment", "update", "-f", str(lenient), "--set-default"))
    assert ok_json(cli(url, "-o", "json", "batch-endpoint", "show", "-n", "thr-ep"))[
        "default_deployment"] == "lenient"
    proc = cli(url, "batch-deployment", "delete", "-n", "lenient", "-e", "thr-ep")
    assert proc.returncode == 1 and "is the default" in proc.stderr, proc.stderr
    ok(cli(url, "batch-deployment", "delete", "-n", "strict", "-e", "thr-ep"))
    names = [d["name"] for d in ok_json(cli(url, "-o", "json", "batch-deployment", "list",
                                            "-e", "thr-ep"))["value"]]
    assert names == ["lenient"]


def test_init_that_raises_fails_the_job_and_says_why(server, tmp_path):
    url = server.url
    endpoint(url, tmp_path, "init-ep")
    ok(cli(url, "batch-deployment", "create", "-f",
           str(write_deployment(tmp_path, "boom", "init-ep", env={"FAIL_INIT": "1"}))))
    job = invoke(url, "init-ep", write_files(tmp_path / "in", 2))
    failed = wait_status(url, job["name"], ("Failed", "Completed"), timeout=120)
    assert failed["status"] == "Failed", failed
    assert "init() raised RuntimeError: init exploded on purpose" in failed["error"], failed


@pytest.mark.skipif(bool(os.environ.get("MLWS_SKIP_ENV_BUILD")),
                    reason="MLWS_SKIP_ENV_BUILD: the MLflow scoring environment needs PyPI")
def test_heart_classifier_mlflow_example_unmodified(server, tmp_path):
    """The Azure ML example as it ships: the MLflow model registered, the data asset, the
    endpoint and deployment-simple (no driver, no environment) on the batch-cluster compute;
    scored from the data asset, then from a local folder holding CSV and parquet files."""
    url = server.url
    root = tmp_path / "heart"
    shutil.copytree(HEART, root)
    # What the example's README runs before (az ml model create / compute create).
    (root / "model.yml").write_text("name: heart-classifier-mlflow\ntype: mlflow_model\n"
                                    "path: deployment-simple/model\n")
    (root / "cluster.yml").write_text("name: batch-cluster\ntype: amlcompute\n"
                                      "min_instances: 0\nmax_instances: 2\n")
    ok(cli(url, "model", "create", "-f", str(root / "model.yml")))
    ok(cli(url, "compute", "create", "-f", str(root / "cluster.yml")))
    ok(cli(url, "data", "create", "-f", str(root / "heart-dataset-unlabeled.yml")))
    ok(cli(url, "batch-endpoint", "create", "-f", str(root / "endpoint.yml")))
    d = ok_json(cli(url, "-o", "json", "batch-deployment", "create", "-f",
                    str(root / "deployment-simple" / "deployment.yml"), "--set-default"))
    assert d["model_type"] == "mlflow_model" and d["model_ref"] == "azureml:heart-classifier-mlflow:1"
    job = ok_json(cli(url, "-o", "json", "batch-endpoint", "invoke", "-n",
                      "heart-classifier-batch", "--input",
                      "azureml:heart-dataset-unlabeled@latest"))
    done = wait_status(url, job["name"], ("Failed", "Completed"), timeout=1500)
    assert done["status"] == "Completed", done
    rows = predictions(url, job["name"], tmp_path)
    assert rows[0] == ["file", "prediction"]
    assert len(rows) == 1 + 303 and {r[1] for r in rows[1:]} <= {"0", "1"}
    assert {r[0] for r in rows[1:]} == {f"heart-unlabeled-{i}.csv" for i in range(4)}
    # A local folder with a parquet file: pyarrow is in the scoring environment.
    import pandas as pd
    local = tmp_path / "local-in"
    local.mkdir()
    pd.read_csv(root / "data" / "heart-unlabeled-3.csv").to_parquet(local / "part.parquet")
    shutil.copy(root / "data" / "heart-unlabeled-3.csv", local / "part.csv")
    job = invoke(url, "heart-classifier-batch", local)
    done = wait_status(url, job["name"], ("Failed", "Completed"), timeout=600)
    assert done["status"] == "Completed", done
    rows = predictions(url, job["name"], tmp_path)
    by_file = {}
    for f, p in rows[1:]:
        by_file.setdefault(f, []).append(p)
    assert by_file["part.csv"] == by_file["part.parquet"] and len(by_file["part.csv"]) == 3
