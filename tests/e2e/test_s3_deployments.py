"""Online and batch deployments of a model whose files are in the bucket (S3Proxy).

One server with `--artifacts-destination s3://…`: a model registered with the CLI and the
deployments' code are uploaded to the bucket; an online deployment stages both into its scratch
folder under <home>/serving/staged/ and scores; a bad one (its scoring script is not in the code)
is refused and leaves nothing staged (no empty folders either); each update stages a new copy and
the previous one is deleted once the new one serves; deleting the deployment deletes its staged
copy; a staged copy removed while the server was down is staged again when an instance starts,
and while that download waits (the bucket stopped) the other endpoint operations answer. A
batch deployment of the same model scores a folder (its job stages model, code and input)."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import textwrap
import uuid

import pytest
import requests

from conftest import assert_error, unique
from endpoints_util import (create_endpoint, delete_all_endpoints, ep_url, metric, score,
                            wait_until)
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
        body = json.loads(raw_data)
        if body.get("crash"):
            os._exit(3)
        return {"weights": weights, "n": body["n"]}
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


def staged_dirs(server) -> list[str]:
    root = os.path.join(server.home, "serving", "staged")
    return sorted(os.path.relpath(os.path.join(d, s), root)
                  for d, subs, _ in os.walk(root) for s in subs)


def primary_key(url: str, endpoint: str) -> str:
    return requests.post(f"{ep_url(url, endpoint)}/list-keys", json={},
                         timeout=10).json()["primaryKey"]


def deploy_spec(tmp_path, name: str, endpoint: str, model: str, extra: str = "") -> str:
    spec = tmp_path / f"{name}.yml"
    spec.write_text(f"name: {name}\nendpoint_name: {endpoint}\nmodel: {model}\n"
                    "code_configuration:\n  code: code\n  scoring_script: score.py\n"
                    "instance_count: 1\n" + extra)
    return str(spec)


def deployed_and_scoring(url, tmp_path, endpoint: str, name: str, model: str) -> str:
    """Creates an endpoint with one deployment of `model` taking all traffic; returns its key
    once it scored once."""
    create_endpoint(url, tmp_path, endpoint)
    code_folder(tmp_path, "score.py", SCORE)
    ok(cli(url, "online-deployment", "create", "-f", deploy_spec(tmp_path, name, endpoint, model),
           "--all-traffic", timeout=300))
    k = primary_key(url, endpoint)
    assert score(url, endpoint, {"n": 1}, key=k).json() == {"weights": MARK, "n": 1}
    return k


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
    assert staged_dirs(server) == []  # nor the empty folders of the refused copy
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


def test_an_update_deletes_the_previous_staged_copy(server, model, tmp_path):
    url = server.url
    create_endpoint(url, tmp_path, "s3-upd")
    code_folder(tmp_path, "score.py", SCORE)
    spec = deploy_spec(tmp_path, "upd", "s3-upd", model)
    ok(cli(url, "online-deployment", "create", "-f", spec, "--all-traffic", timeout=300))

    def copies() -> list[str]:
        return sorted({f.split(os.sep)[3] for f in staged_files(server)
                       if f.split(os.sep)[1:3] == ["s3-upd", "upd"]})

    first = copies()
    assert len(first) == 1, first
    seen = set(first)
    for n in (1, 2):
        spec = deploy_spec(tmp_path, "upd", "s3-upd", model, f"description: v{n}\n")
        d = ok_json(cli(url, "-o", "json", "online-deployment", "update", "-f", spec,
                        timeout=300))
        assert d["provisioning_state"] == "Succeeded", d
        now = copies()
        # Only the copy the new instances serve from remains.
        assert len(now) == 1 and now[0] not in seen, (now, seen)
        seen.update(now)
        r = score(url, "s3-upd", {"n": n}, key=primary_key(url, "s3-upd"))
        assert r.status_code == 200 and r.json() == {"weights": MARK, "n": n}, r.text
    ok(cli(url, "online-endpoint", "delete", "-n", "s3-upd", "--yes"))
    assert not [f for f in staged_files(server) if "/s3-upd/" in f"/{f}"]


def test_a_staged_copy_removed_while_down_is_staged_again(server, model, tmp_path):
    url = server.url
    k = deployed_and_scoring(url, tmp_path, "s3-again", "again", model)
    # The server stops (its instance keeps running), the staged copy goes, the server comes back
    # (as another server taking the deployment over would), and the instance has to start again.
    assert server.stop() == 0, server.stderr()
    [ws] = os.listdir(os.path.join(server.home, "serving", "staged"))
    shutil.rmtree(os.path.join(server.home, "serving", "staged", ws, "s3-again"))
    server.start()
    url = server.url
    wait_until(lambda: metric(url, "mlws_online_instances_ready", endpoint="s3-again") == 1,
               what="the adopted instance")
    restarts = metric(url, "mlws_online_instance_restarts_total", endpoint="s3-again")
    assert score(url, "s3-again", {"crash": 1}, key=k).status_code == 502
    wait_until(lambda: metric(url, "mlws_online_instance_restarts_total",
                              endpoint="s3-again") == restarts + 1, what="a restart")
    wait_until(lambda: metric(url, "mlws_online_instances_ready", endpoint="s3-again") == 1,
               what="the restarted instance")
    # It was staged again from the bucket and reads the model's file.
    assert score(url, "s3-again", {"n": 2}, key=k).json() == {"weights": MARK, "n": 2}
    files = [f for f in staged_files(server) if f.split(os.sep)[1:3] == ["s3-again", "again"]]
    assert any(f.endswith("/weights.txt") for f in files), files
    assert any(f.endswith("/code/score.py") for f in files), files
    ok(cli(url, "online-endpoint", "delete", "-n", "s3-again", "--yes"))


def test_staging_again_does_not_hold_up_the_other_endpoint_operations(server, s3, model, tmp_path):
    url = server.url
    k = deployed_and_scoring(url, tmp_path, "s3-slow", "slow", model)
    # The staged copy goes (as on a server taking the deployment over), the instance crashes, so
    # its files are staged again from the bucket: the bucket is held still (SIGSTOP) meanwhile,
    # and the endpoint service must answer while the download waits.
    [ws] = os.listdir(os.path.join(server.home, "serving", "staged"))
    shutil.rmtree(os.path.join(server.home, "serving", "staged", ws, "s3-slow"))
    line = "online deployment s3-slow/slow: staging its files again"
    os.kill(s3.proc.pid, signal.SIGSTOP)
    try:
        assert score(url, "s3-slow", {"crash": 1}, key=k).status_code == 502
        wait_until(lambda: line in server.stderr(), what="the staging to start")
        assert requests.get(ep_url(url, "s3-slow"), timeout=5).status_code == 200
        r = requests.get(f"{ep_url(url, 's3-slow')}/deployments/slow", timeout=5)
        assert r.status_code == 200, r.text
        create_endpoint(url, tmp_path, "s3-meanwhile")
    finally:
        os.kill(s3.proc.pid, signal.SIGCONT)
    wait_until(lambda: metric(url, "mlws_online_instances_ready", endpoint="s3-slow") == 1,
               what="the instance started on the copy staged again")
    assert score(url, "s3-slow", {"n": 2}, key=k).json() == {"weights": MARK, "n": 2}
    for name in ("s3-slow", "s3-meanwhile"):
        ok(cli(url, "online-endpoint", "delete", "-n", name, "--yes"))


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
