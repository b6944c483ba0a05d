"""Online and batch deployments of a model whose files are in the bucket (S3Proxy).

One server with `--artifacts-destination s3://…`: a model registered with the CLI and the
deployments' code are uploaded to the bucket; an online deployment stages both into its scratch
folder under <home>/serving/staged/ and scores; a bad one (its scoring script is not in the code)
is refused and leaves nothing staged; deleting the deployment deletes its staged copy. A batch
deployment of the same model scores a folder (its job stages model, code and input)."""

from __future__ import annotations

import csv
import os
import textwrap
import uuid

import pytest
import requests

from conftest import assert_error, unique
from endpoints_util import create_endpoint, delete_all_endpoints, ep_url, score
from jobs_util import cli, get_job, ok, ok_json
from s3_util import needs_s3proxy, s3_server_fixture, s3proxy_fixture

BUCKET = "mlws-deploy"
PREFIX = "artifacts"
MARK = "weights-" + uuid.uuid4().hex

pytestmark = needs_s3proxy

# Both scripts read the model's one file in init(): the online one answers with it, the batch
# driver writes it next to each input file's content.
INIT = textwrap.dedent("""\
    import json, os
    def init():
        global weights
        with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "weights.txt")) as f:
            weights = f.read()
    """)
SCORE = INIT + textwrap.dedent("""\
    def run(raw_data):
        return {"weights": weights, "n": json.loads(raw_data)["n"]}
    """)
DRIVER = INIT + textwrap.dedent("""\
    def run(mini_batch):
        return [[os.path.basename(p), open(p).read().strip(), weights] for p in mini_batch]
    """)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    yield from s3proxy_fixture(tmp_path_factory, BUCKET)


@pytest.fixture(scope="module")
def server(s3, tmp_path_factory):
    gen = s3_server_fixture(s3, tmp_path_factory, BUCKET, PREFIX)
    srv = next(gen)
    yield srv
    delete_all_endpoints(srv.url)
    next(gen, None)


@pytest.fixture(scope="module")
def model(s3, server, tmp_path_factory):
    """A custom model registered with the CLI: its files are in the bucket, not on the disk."""
    tmp = tmp_path_factory.mktemp("model")
    (tmp / "model").mkdir()
    (tmp / "model" / "weights.txt").write_text(MARK)
    name = unique("s3model")
    (tmp / "model.yml").write_text(f"name: {name}\nversion: '1'\ntype: custom_model\n"
                                   "path: ./model\n")
    m = ok_json(cli(server.url, "-o", "json", "model", "create", "-f", str(tmp / "model.yml")))
    upload = m["path"].split("/paths/", 1)[1]
    key = f"{PREFIX}/1/datastores/workspaceblobstore/{upload}/weights.txt"
    assert s3.boto3_client().get_object(Bucket=BUCKET, Key=key)["Body"].read() == MARK.encode()
    return f"azureml:{name}:1"


def code_folder(tmp, script_name: str, text: str):
    (tmp / "code").mkdir(parents=True, exist_ok=True)
    (tmp / "code" / script_name).write_text(text)


def staged_files(server) -> list[str]:
    root = os.path.join(server.home, "serving", "staged")
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def test_online_deployment_of_a_model_in_the_bucket_stages_and_scores(server, model, tmp_path):
    url = server.url
    create_endpoint(url, tmp_path, "s3-online")
    code_folder(tmp_path, "score.py", SCORE)
    # A scoring script that is not in the (uploaded) code folder: 400, nothing staged stays.
    bad = tmp_path / "bad.yml"
    bad.write_text(f"name: bad\nendpoint_name: s3-online\nmodel: {model}\n"
                   "code_configuration:\n  code: code\n  scoring_script: nope.py\n"
                   "instance_count: 1\n")
    proc = cli(url, "online-deployment", "create", "-f", str(bad))
    assert proc.returncode == 1 and "nope.py" in proc.stderr, proc.stderr
    assert staged_files(server) == []
    spec = tmp_path / "blue.yml"
    spec.write_text(f"name: blue\nendpoint_name: s3-online\nmodel: {model}\n"
                    "code_configuration:\n  code: code\n  scoring_script: score.py\n"
                    "instance_count: 1\n")
    d = ok_json(cli(url, "-o", "json", "online-deployment", "create", "-f", str(spec),
                    "--all-traffic", timeout=300))
    assert d["provisioning_state"] == "Succeeded", d
    assert d["model_ref"] == model
    r = score(url, "s3-online", {"n": 3}, key=requests.post(
        f"{ep_url(url, 's3-online')}/list-keys", json={}, timeout=10).json()["primaryKey"])
    assert r.status_code == 200, r.text
    assert r.json() == {"weights": MARK, "n": 3}
    # The model and code were staged into the deployment's scratch folder.
    files = staged_files(server)
    assert any("/blue/" in f and "/model/" in f and f.endswith("/weights.txt") for f in files), files
    assert any(f.endswith("/code/score.py") for f in files), files
    ok(cli(url, "online-endpoint", "update", "-n", "s3-online", "--traffic", "blue=0"))
    ok(cli(url, "online-deployment", "delete", "-n", "blue", "-e", "s3-online", "--yes"))
    assert staged_files(server) == []


def test_batch_deployment_of_a_model_in_the_bucket_scores(server, model, tmp_path):
    url = server.url
    ep = tmp_path / "ep.yml"
    ep.write_text("name: s3-batch\nauth_mode: aad_token\n")
    ok(cli(url, "batch-endpoint", "create", "-f", str(ep)))
    code_folder(tmp_path, "driver.py", DRIVER)
    lines = ["name: dep", "endpoint_name: s3-batch", "type: model", f"model: {model}",
             "code_configuration:", "  code: code", "  scoring_script: driver.py",
             "resources:", "  instance_count: 1", "settings:", "  mini_batch_size: 1",
             "  output_file_name: predictions.csv"]
    bad = tmp_path / "bad.yml"
    bad.write_text("\n".join(lines).replace("driver.py", "nope.py") + "\n")
    proc = cli(url, "batch-deployment", "create", "-f", str(bad))
    assert proc.returncode == 1 and "nope.py" in proc.stderr, proc.stderr
    spec = tmp_path / "dep.yml"
    spec.write_text("\n".join(lines) + "\n")
    d = ok_json(cli(url, "-o", "json", "batch-deployment", "create", "-f", str(spec)))
    assert d["model_type"] == "custom_model" and d["model_ref"] == model, d
    (tmp_path / "in").mkdir()
    for i in (1, 2):
        (tmp_path / "in" / f"f{i}.csv").write_text(f"row{i}\n")
    job = ok_json(cli(url, "-o", "json", "batch-endpoint", "invoke", "-n", "s3-batch", "--input",
                      str(tmp_path / "in")))
    ok(cli(url, "job", "stream", job["name"], timeout=300))
    done = get_job(url, job["name"])
    assert done["status"] == "Completed", done
    dest = tmp_path / "dl"
    ok(cli(url, "job", "download", job["name"], "--output-name", "score", "--download-path",
           str(dest)))
    found = list(dest.rglob("predictions.csv"))
    assert len(found) == 1, list(dest.rglob("*"))
    with open(found[0], newline="") as f:
        rows = sorted(csv.reader(f))
    assert rows == [["f1.csv", "row1", MARK], ["f2.csv", "row2", MARK]]


def test_missing_model_file_in_the_bucket_is_a_clear_error(server, s3, tmp_path):
    # A datastore path that is not in the bucket: refused at create, naming it.
    url = server.url
    create_endpoint(url, tmp_path, "s3-missing")
    code_folder(tmp_path, "score.py", SCORE)
    r = requests.post(f"{ep_url(url, 's3-missing')}/deployments", timeout=30, json={
        "name": "gone", "model": {"path": "azureml://datastores/workspaceblobstore/paths/nope/"},
        "code_configuration": {"code": "azureml://datastores/workspaceblobstore/paths/nope/",
                               "scoring_script": "score.py"}})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "nope")
    assert staged_files(server) == []
