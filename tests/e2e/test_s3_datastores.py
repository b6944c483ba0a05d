"""S3 datastores read and written by jobs, and a server whose user data lives in the bucket.

One server with `--artifacts-destination s3://…` on S3Proxy: a job reads an S3 datastore's
folder (download), a file (ro_mount) and a data asset registered on it, writes an output to it
(upload) and a model to the workspace's own datastore; a pipeline step's output `path:` is on
the S3 datastore. boto3 reads back what mlws wrote. Afterwards the server's home holds none of
the user's bytes outside the jobs' scratch folders: uploads, code snapshots, registered model
files and outputs are in the bucket."""

from __future__ import annotations

import json
import os
import textwrap
import uuid

import pytest
import requests

from conftest import assert_error, unique
from jobs_util import cli, jobs_url, ok_json, wait_status
from s3_util import needs_s3proxy, s3_server_fixture, s3proxy_fixture

BUCKET = "mlws-ds"
PREFIX = "artifacts"
LAKE = "lake"  # the S3 datastore's prefix in the same bucket
DS = "azureml://datastores/{}/paths"
# Bytes only the user has: looked for on the server's disk at the end.
MARK_CODE = "code-" + uuid.uuid4().hex
MARK_MODEL = "model-" + uuid.uuid4().hex
MARK_DATA = "data-" + uuid.uuid4().hex
MARK_OUT = "out-" + uuid.uuid4().hex

pytestmark = needs_s3proxy


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    yield from s3proxy_fixture(tmp_path_factory, BUCKET)


@pytest.fixture(scope="module")
def server(s3, tmp_path_factory):
    yield from s3_server_fixture(s3, tmp_path_factory, BUCKET, PREFIX)


@pytest.fixture(scope="module")
def lake(s3, server):
    """An S3 datastore on <bucket>/lake/ with credentials from the vault, and data in it."""
    c = s3.boto3_client()
    c.put_object(Bucket=BUCKET, Key=f"{LAKE}/in/train.csv", Body=f"1\n2\n{MARK_DATA}\n".encode())
    c.put_object(Bucket=BUCKET, Key=f"{LAKE}/in/sub/notes.txt", Body=b"notes")
    api = f"{server.url}/api/v1/workspaces/default"
    secret = {"access_key_id": "mlws-test-key", "secret_access_key": "mlws-test-secret"}
    r = requests.put(f"{api}/secrets/lake-keys", json={"value": json.dumps(secret)}, timeout=10)
    assert r.status_code == 200, r.text
    name = unique("lake").replace("-", "_")
    r = requests.post(f"{api}/datastores", timeout=10, json={
        "name": name, "type": "s3", "bucket": BUCKET, "prefix": LAKE + "/",
        "endpoint_url": s3.endpoint, "credentials_secret": "lake-keys"})
    assert r.status_code == 200, r.text
    return name


def keys(s3, prefix: str) -> list[str]:
    pages = s3.boto3_client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                         Prefix=prefix)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


def read(s3, key: str) -> bytes:
    return s3.boto3_client().get_object(Bucket=BUCKET, Key=key)["Body"].read()


MAIN = textwrap.dedent("""\
    import os, sys
    folder, file, out, model = sys.argv[1:5]
    names = sorted(os.path.relpath(os.path.join(d, f), folder)
                   for d, _, fs in os.walk(folder) for f in fs)
    with open(os.path.join(out, "listing.txt"), "w") as f:
        f.write("\\n".join(names) + "\\n")
    with open(os.path.join(out, "copy.csv"), "w") as f:
        f.write(open(file).read())
    with open(os.path.join(out, "mark.txt"), "w") as f:
        f.write(sys.argv[5])
    os.makedirs(model, exist_ok=True)
    with open(os.path.join(model, "weights.txt"), "w") as f:
        f.write(sys.argv[6])
    # MARK_CODE
    """).replace("MARK_CODE", MARK_CODE)


def test_job_reads_and_writes_an_s3_datastore(s3, server, lake, tmp_path):
    api = f"{server.url}/api/v1/workspaces/default"
    data = unique("lakedata")
    r = requests.post(f"{api}/data", timeout=30, json={
        "name": data, "version": "1", "type": "uri_folder", "path": DS.format(lake) + "/in"})
    assert r.status_code in (200, 201), r.text
    model = unique("s3model")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text(MAIN)
    spec = tmp_path / "job.yml"
    # The marks are split so the command line (stored with the job) does not hold them whole.
    spec.write_text(textwrap.dedent(f"""\
        command: >-
          python3 main.py ${{{{inputs.folder}}}} ${{{{inputs.file}}}} ${{{{outputs.out}}}}
          ${{{{outputs.model}}}} {MARK_OUT[:8]}"{MARK_OUT[8:]}" {MARK_MODEL[:8]}"{MARK_MODEL[8:]}"
        code: src
        inputs:
          folder:
            type: uri_folder
            path: azureml:{data}:1
            mode: download
          file:
            type: uri_file
            path: {DS.format(lake)}/in/train.csv
        outputs:
          out:
            type: uri_folder
            mode: upload
            path: {DS.format(lake)}/results/${{{{name}}}}
          model:
            type: custom_model
            name: {model}
            version: "1"
        """))
    job = ok_json(cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
    assert job["status"] == "Completed", job
    name = job["name"]
    # boto3 reads what the job wrote to the S3 datastore.
    assert read(s3, f"{LAKE}/results/{name}/listing.txt") == b"sub/notes.txt\ntrain.csv\n"
    assert read(s3, f"{LAKE}/results/{name}/copy.csv") == f"1\n2\n{MARK_DATA}\n".encode()
    assert read(s3, f"{LAKE}/results/{name}/mark.txt") == MARK_OUT.encode()
    assert job["outputs"]["out"]["uri"] == f"{DS.format(lake)}/results/{name}"
    # The model (no path: the workspace's own datastore) and the code snapshot are in the bucket.
    own = f"{PREFIX}/1/datastores/workspaceblobstore"
    assert read(s3, f"{own}/azureml/{name}/model/weights.txt") == MARK_MODEL.encode()
    snapshot = job["code"].split("/paths/", 1)[1]
    assert MARK_CODE.encode() in read(s3, f"{own}/{snapshot}/main.py")
    # And mlws serves them back from there.
    dest = tmp_path / "dl"
    proc = cli(server.url, "model", "download", model, "--version", "1",
               "--download-path", str(dest))
    assert proc.returncode == 0, proc.stderr
    got = [p.read_text() for p in dest.rglob("weights.txt")]
    assert got == [MARK_MODEL]
    r = requests.get(f"{api}/datastores/{lake}/download/results/{name}/mark.txt", timeout=30)
    assert r.status_code == 200 and r.text == MARK_OUT


def test_registered_model_files_are_uploaded_to_the_bucket(s3, server, tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.bin").write_text(MARK_MODEL + "-registered")
    spec = tmp_path / "model.yml"
    name = unique("upmodel")
    spec.write_text(f"name: {name}\nversion: '1'\ntype: custom_model\npath: ./m\n")
    m = ok_json(cli(server.url, "-o", "json", "model", "create", "-f", str(spec)))
    upload = m["path"].split("/paths/", 1)[1]
    own = f"{PREFIX}/1/datastores/workspaceblobstore"
    assert read(s3, f"{own}/{upload}/model.bin") == (MARK_MODEL + "-registered").encode()
    # The same content again is the same upload (content-addressed), found in the bucket.
    spec2 = tmp_path / "model2.yml"
    spec2.write_text(f"name: {name}\nversion: '2'\ntype: custom_model\npath: ./m\n")
    again = ok_json(cli(server.url, "-o", "json", "model", "create", "-f", str(spec2)))
    assert again["path"] == m["path"]


def test_pipeline_output_path_on_an_s3_datastore(s3, server, lake):
    name = unique("s3pipe").replace("-", "_")
    spec = {
        "type": "pipeline", "name": name, "settings": {"force_rerun": True},
        "jobs": {
            "make": {"command": "echo made > ${{outputs.o}}/made.txt",
                     "outputs": {"o": {"type": "uri_folder", "mode": "upload",
                                       "path": DS.format(lake) + f"/pipes/{name}/"}}},
            "use": {"command": "cat ${{inputs.i}}/made.txt > ${{outputs.r}}/read.txt",
                    "inputs": {"i": "${{parent.jobs.make.outputs.o}}"},
                    "outputs": {"r": {"type": "uri_folder", "mode": "rw_mount",
                                      "path": DS.format(lake) + f"/pipes/{name}-read/"}}}}}
    r = requests.post(jobs_url(server.url), json=spec, timeout=30)
    assert r.status_code == 201, r.text
    done = wait_status(server.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Completed", done
    assert read(s3, f"{LAKE}/pipes/{name}/made.txt") == b"made\n"
    assert read(s3, f"{LAKE}/pipes/{name}-read/read.txt") == b"made\n"


def test_missing_s3_input_is_refused_at_submission(server, lake):
    r = requests.post(jobs_url(server.url), timeout=30, json={
        "command": "ls ${{inputs.x}}",
        "inputs": {"x": {"type": "uri_folder", "path": DS.format(lake) + "/nope"}}})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "nope")


def test_no_user_bytes_on_the_servers_disk_outside_job_scratch(server):
    # Runs last in this module: every test above wrote user bytes.
    marks = [m.encode() for m in (MARK_CODE, MARK_MODEL, MARK_DATA, MARK_OUT)]
    found = []
    for root, dirs, files in os.walk(server.home):
        if os.path.relpath(root, server.home) == ".":
            dirs[:] = [d for d in dirs if d != "jobs"]  # job folders are local scratch
        for f in files:
            p = os.path.join(root, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                blob = fh.read()
            found += [(p, m) for m in marks if m in blob]
    assert found == []
