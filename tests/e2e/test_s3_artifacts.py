"""mlws with an s3:// artifacts destination on S3Proxy: what the MLflow client logs through the
artifact proxy lands in the bucket (read back with boto3), and lists, downloads, deletes and
multipart uploads work through mlws. Bad S3 configuration stops the server at start with the URI
and the cause, and the secret key never shows."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import ARTIFACTS, MlwsServer, assert_error, unique
from mlws_testkit.net import free_port
from s3_util import needs_s3proxy, s3_server_fixture, s3proxy_fixture

BUCKET = "mlws-e2e"
PREFIX = "artifacts"

pytestmark = needs_s3proxy


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    yield from s3proxy_fixture(tmp_path_factory, BUCKET)


@pytest.fixture(scope="module")
def s3_server(s3, tmp_path_factory):
    yield from s3_server_fixture(s3, tmp_path_factory, BUCKET, PREFIX)


@pytest.fixture
def mlflow_client(s3_server, monkeypatch):
    import mlflow
    monkeypatch.setenv("MLFLOW_TRACKING_URI", s3_server.url)
    mlflow.set_tracking_uri(s3_server.url)
    return mlflow.tracking.MlflowClient(s3_server.url)


def object_ending(s3, suffix: str) -> str:
    keys = [o["Key"] for page in s3.boto3_client().get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=PREFIX + "/") for o in page.get("Contents", [])]
    hits = [k for k in keys if k.endswith(suffix)]
    assert len(hits) == 1, (suffix, keys)
    return hits[0]


def read_object(s3, key: str) -> bytes:
    return s3.boto3_client().get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_mlflow_client_artifacts_land_in_the_bucket_and_come_back(s3, s3_server, mlflow_client,
                                                                  tmp_path):
    exp = mlflow_client.create_experiment(unique("s3"))
    run = mlflow_client.create_run(exp).info.run_id
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("alpha")
    (tmp_path / "d" / "sub" / "b.json").write_text('{"b": 1}')
    big = os.urandom(3 << 20)
    (tmp_path / "big.bin").write_bytes(big)
    mlflow_client.log_artifacts(run, str(tmp_path / "d"), "dir")
    mlflow_client.log_artifact(run, str(tmp_path / "big.bin"))

    # In the bucket, under the destination's prefix, as boto3 sees it.
    assert read_object(s3, object_ending(s3, f"{run}/artifacts/dir/a.txt")) == b"alpha"
    assert read_object(s3, object_ending(s3, f"{run}/artifacts/dir/sub/b.json")) == b'{"b": 1}'
    assert read_object(s3, object_ending(s3, f"{run}/artifacts/big.bin")) == big

    # Listed and downloaded through mlws.
    top = {f.path: f for f in mlflow_client.list_artifacts(run)}
    assert set(top) == {"big.bin", "dir"} and top["dir"].is_dir
    assert top["big.bin"].file_size == len(big)
    assert [f.path for f in mlflow_client.list_artifacts(run, "dir")] == ["dir/a.txt", "dir/sub"]
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl2").mkdir()
    out = mlflow_client.download_artifacts(run, "dir", str(tmp_path / "dl"))
    assert open(os.path.join(out, "sub", "b.json")).read() == '{"b": 1}'
    got = mlflow_client.download_artifacts(run, "big.bin", str(tmp_path / "dl2"))
    assert hashlib.sha256(open(got, "rb").read()).digest() == hashlib.sha256(big).digest()

    # The proxy streams the download with its length.
    art_uri = mlflow_client.get_run(run).info.artifact_uri
    rel = art_uri.split("mlflow-artifacts:/", 1)[1].lstrip("/")
    r = requests.get(f"{s3_server.url}{ARTIFACTS}/{rel}/big.bin", timeout=60)
    assert r.status_code == 200 and r.content == big
    assert r.headers["Content-Length"] == str(len(big))
    r = requests.get(f"{s3_server.url}{ARTIFACTS}/{rel}/missing.txt", timeout=10)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    # Deleted through mlws: gone from the bucket.
    r = requests.delete(f"{s3_server.url}{ARTIFACTS}/{rel}/dir", timeout=30)
    assert r.status_code == 200, r.text
    assert [f.path for f in mlflow_client.list_artifacts(run)] == ["big.bin"]
    keys = [o["Key"] for o in s3.boto3_client().list_objects_v2(
        Bucket=BUCKET, Prefix=PREFIX + "/").get("Contents", [])]
    assert not [k for k in keys if "/artifacts/dir/" in k and run in k]


def test_multipart_upload_through_presigned_parts(s3, s3_server, mlflow_client, tmp_path,
                                                  monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 << 20))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 << 20))
    exp = mlflow_client.create_experiment(unique("s3mpu"))
    run = mlflow_client.create_run(exp).info.run_id
    data = os.urandom((11 << 20) + 7)  # three parts
    (tmp_path / "model.bin").write_bytes(data)
    mlflow_client.log_artifact(run, str(tmp_path / "model.bin"), "weights")
    assert read_object(s3, object_ending(s3, f"{run}/artifacts/weights/model.bin")) == data

    # The routes themselves: bad input changes nothing.
    rel = mlflow_client.get_run(run).info.artifact_uri.split("mlflow-artifacts:/", 1)[1]
    base = f"{s3_server.url}/api/2.0/mlflow-artifacts/mpu"
    r = requests.post(f"{base}/create/{rel.strip('/')}", json={"path": "x.bin", "num_parts": 0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "num_parts")
    r = requests.post(f"{base}/create/{rel.strip('/')}", json={"path": "x.bin", "num_parts": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["part_number"] for c in body["credentials"]] == [1, 2]
    assert "mlws-test-secret" not in r.text
    r = requests.post(f"{base}/complete/{rel.strip('/')}",
                      json={"path": "x.bin", "upload_id": body["upload_id"],
                            "parts": [{"part_number": 1, "etag": "nope"}]})
    assert r.status_code == 400, r.text
    r = requests.post(f"{base}/abort/{rel.strip('/')}",
                      json={"path": "x.bin", "upload_id": body["upload_id"]})
    assert r.status_code == 200, r.text
    assert not [o for o in s3.boto3_client().list_objects_v2(
        Bucket=BUCKET, Prefix=PREFIX + "/").get("Contents", []) if o["Key"].endswith("/x.bin")]


def start_failure(tmp_path, args, env) -> tuple[int, str, float]:
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, env=env, extra_args=args)
    t0 = time.monotonic()
    srv.spawn()
    try:
        code = srv.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        srv.kill()
        pytest.fail("mlws did not exit with a broken S3 destination:\n" + srv.stderr())
    return code, srv.stderr(), time.monotonic() - t0


def test_missing_bucket_refuses_to_start(s3, tmp_path):
    code, err, _ = start_failure(
        tmp_path, ["--artifacts-destination", "s3://no-such-bucket/p", "--s3-endpoint-url",
                   s3.endpoint], s3.env())
    assert code != 0
    assert "s3://no-such-bucket/p" in err and "bucket" in err, err
    assert "mlws-test-secret" not in err


def test_wrong_secret_refuses_to_start_without_echoing_it(s3, tmp_path):
    env = {**s3.env(), "AWS_SECRET_ACCESS_KEY": "wrong-secret-value-123"}
    code, err, _ = start_failure(
        tmp_path, ["--artifacts-destination", f"s3://{BUCKET}/p", "--s3-endpoint-url",
                   s3.endpoint], env)
    assert code != 0 and f"s3://{BUCKET}/p" in err and "refused" in err, err
    assert "wrong-secret-value-123" not in err


def test_unreachable_endpoint_fails_fast(s3, tmp_path):
    port = free_port()  # nothing listens there
    code, err, took = start_failure(
        tmp_path, ["--artifacts-destination", f"s3://{BUCKET}/p", "--s3-endpoint-url",
                   f"http://127.0.0.1:{port}"], s3.env())
    assert code != 0 and f"127.0.0.1:{port}" in err and "cannot reach" in err, err
    assert took < 30


def test_missing_credentials_are_named(tmp_path):
    env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    code, err, _ = start_failure(
        tmp_path, ["--artifacts-destination", f"s3://{BUCKET}/p", "--s3-endpoint-url",
                   "http://127.0.0.1:1"], env)
    assert code != 0 and "AWS_ACCESS_KEY_ID" in err, err


def test_s3_datastore_lists_and_downloads_with_vault_credentials(s3, s3_server):
    api = f"{s3_server.url}/api/v1/workspaces/default"
    c = s3.boto3_client()
    c.put_object(Bucket=BUCKET, Key="lake/raw/a.csv", Body=b"x,y\n1,2\n")
    c.put_object(Bucket=BUCKET, Key="lake/raw/deep/b.txt", Body=b"bee")
    c.put_object(Bucket=BUCKET, Key="lake/top.txt", Body=b"top")
    secret = {"access_key_id": "mlws-test-key", "secret_access_key": "mlws-test-secret"}
    r = requests.put(f"{api}/secrets/lake-keys", json={"value": json.dumps(secret)}, timeout=10)
    assert r.status_code == 200, r.text
    name = unique("lake").replace("-", "_")
    r = requests.post(f"{api}/datastores", timeout=10, json={
        "name": name, "type": "s3", "bucket": BUCKET, "prefix": "lake/",
        "endpoint_url": s3.endpoint, "credentials_secret": "lake-keys"})
    assert r.status_code == 200, r.text

    r = requests.get(f"{api}/datastores/{name}/files", timeout=30)
    assert r.status_code == 200, r.text
    assert [(f["path"], f["is_dir"]) for f in r.json()["files"]] == [("raw", True),
                                                                      ("top.txt", False)]
    r = requests.get(f"{api}/datastores/{name}/files", params={"path": "raw"}, timeout=30)
    assert [(f["path"], f.get("file_size")) for f in r.json()["files"]] == [
        ("raw/a.csv", 8), ("raw/deep", None)]
    r = requests.get(f"{api}/datastores/{name}/download/raw/deep/b.txt", timeout=30)
    assert r.status_code == 200 and r.content == b"bee"
    r = requests.get(f"{api}/datastores/{name}/download/raw/nope.txt", timeout=30)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = requests.get(f"{api}/datastores/{name}/files", params={"path": "nope"}, timeout=30)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    # A datastore whose endpoint does not answer is a 400 naming it, not a hang.
    dead = name + "_dead"
    r = requests.post(f"{api}/datastores", timeout=10, json={
        "name": dead, "type": "s3", "bucket": BUCKET, "credentials_secret": "lake-keys",
        "endpoint_url": f"http://127.0.0.1:{free_port()}"})
    assert r.status_code == 200, r.text
    r = requests.get(f"{api}/datastores/{dead}/files", timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", dead, "cannot reach")

    # A secret of the wrong shape is named; its value is not echoed.
    r = requests.put(f"{api}/secrets/lake-keys", json={"value": "plain-secret-text"}, timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(f"{api}/datastores/{name}/files", timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "lake-keys", "access_key_id")
    assert "plain-secret-text" not in r.text
