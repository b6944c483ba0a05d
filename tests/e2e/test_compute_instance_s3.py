"""A compute instance on a server whose artifacts destination is an S3 bucket (S3Proxy;
docs/compute.md "Files on an s3:// destination"): its Users/<owner> folder is staged from the
bucket when it starts and written back when it stops. boto3 reads back the notebook the lab
saved, and a file put into the bucket meanwhile is in the lab after the next start. Waits on
states, never on sleeps."""

from __future__ import annotations

import json

import pytest
import requests

from s3_util import needs_s3proxy, s3_server_fixture, s3proxy_fixture
from test_compute_instance import JUPYTER, wait_state

BUCKET = "mlws-ci"
PREFIX = "artifacts"

pytestmark = [needs_s3proxy,
              pytest.mark.skipif(not JUPYTER.exists(), reason=".venv-jupyter is not built")]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    yield from s3proxy_fixture(tmp_path_factory, BUCKET)


@pytest.fixture(scope="module")
def server(s3, tmp_path_factory):
    yield from s3_server_fixture(s3, tmp_path_factory, BUCKET, PREFIX)


def keys(client) -> list[str]:
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def test_users_folder_goes_to_the_bucket_and_back(server, s3):
    url = server.url
    computes = url + "/api/v1/workspaces/default/computes"
    r = requests.post(computes, json={"name": "s3ci", "type": "computeinstance"}, timeout=60)
    assert r.status_code == 201, r.text
    ci = wait_state(url, {}, "s3ci", "Running")
    lab = url + ci["lab_path"]
    nb = {"type": "notebook", "content": {"cells": [], "metadata": {"mark": "from-the-lab"},
                                          "nbformat": 4, "nbformat_minor": 5}}
    r = requests.put(lab + "api/contents/s3.ipynb", json=nb, timeout=60)
    assert r.status_code in (200, 201), r.text

    # Stopped means written back: the notebook is in the bucket, under Users/<owner>/.
    r = requests.post(f"{computes}/s3ci/stop", json={}, timeout=60)
    assert r.status_code == 200, r.text
    wait_state(url, {}, "s3ci", "Stopped")
    client = s3.boto3_client()
    [key] = [k for k in keys(client) if k.endswith("/s3.ipynb")]
    assert f"/Users/{ci['owner']}/" in key, key
    saved = json.loads(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert saved["metadata"]["mark"] == "from-the-lab"
    # The lab's own home (config, runtime files) is not part of the user's folder.
    assert not [k for k in keys(client) if "/.mlws-home/" in k]

    # A file added to the bucket while it was stopped is there after the next start.
    folder = key.rsplit("/", 1)[0]
    client.put_object(Bucket=BUCKET, Key=f"{folder}/from-bucket.txt", Body=b"staged")
    r = requests.post(f"{computes}/s3ci/start", json={}, timeout=60)
    assert r.status_code == 200, r.text
    ci = wait_state(url, {}, "s3ci", "Running", after=ci["started_at"] + 1)
    r = requests.get(lab + "api/contents/from-bucket.txt", params={"content": "1"}, timeout=30)
    assert r.status_code == 200 and r.json()["content"] == "staged", r.text
    r = requests.get(lab + "api/contents/s3.ipynb", timeout=30)
    assert r.status_code == 200, r.text

    assert requests.delete(f"{computes}/s3ci", timeout=60).status_code == 200
