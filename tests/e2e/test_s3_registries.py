"""A registry on a server whose artifacts are in the bucket (S3Proxy): a model registered in one
workspace (its files in the bucket) is shared into a registry, blob to blob; the registry's copy
is in the bucket, not on the server's disk; a job in another workspace uses the registry's model,
staged in from the bucket; deleting the registry deletes its files from the bucket."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests

from conftest import unique
from jobs_util import cli, ok, ok_json, wait_status
from s3_util import needs_s3proxy, s3_server_fixture, s3proxy_fixture

BUCKET = "mlws-reg"
PREFIX = "artifacts"
MARK = "shared-" + uuid.uuid4().hex
REGISTRY_YAML = (Path(__file__).resolve().parents[1] / "data" / "azureml" / "cli" / "resources"
                 / "registry" / "registry.yml")
REG = "DemoRegistry"

pytestmark = needs_s3proxy


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    yield from s3proxy_fixture(tmp_path_factory, BUCKET)


@pytest.fixture(scope="module")
def server(s3, tmp_path_factory):
    yield from s3_server_fixture(s3, tmp_path_factory, BUCKET, PREFIX)


def bucket_keys(s3) -> list[str]:
    pages = s3.boto3_client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                         Prefix=PREFIX + "/")
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


def on_disk(home: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(home):
        if os.path.relpath(root, home) == ".":
            dirs[:] = [d for d in dirs if d != "jobs"]  # job folders are local scratch
        for f in files:
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p) and MARK.encode() in open(p, "rb").read():
                found.append(p)
    return found


def test_share_into_a_registry_and_use_it_from_another_workspace(s3, server, tmp_path):
    url = server.url
    r = requests.post(f"{url}/api/v1/workspaces", json={"name": "team-b"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    assert ok_json(cli(url, "-o", "json", "registry", "create", "-f",
                       str(REGISTRY_YAML)))["name"] == REG
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "weights.txt").write_text(MARK)
    name = unique("regmodel")
    (tmp_path / "model.yml").write_text(f"name: {name}\nversion: '1'\ntype: custom_model\n"
                                        "path: ./m\n")
    src = ok_json(cli(url, "-o", "json", "model", "create", "-f", str(tmp_path / "model.yml")))
    upload = src["path"].split("/paths/", 1)[1]
    before = [k for k in bucket_keys(s3) if k.endswith(f"{upload}/weights.txt")]
    assert len(before) == 1, before  # the workspace's copy only
    shared = ok_json(cli(url, "-o", "json", "model", "share", "--name", name, "--version", "1",
                         "--registry-name", REG, "--share-with-name", "shared-clf",
                         "--share-with-version", "1"))
    assert shared["path"].endswith(f"/paths/{upload}"), shared  # the same upload, copied once
    r = requests.get(f"{url}/api/v1/workspaces/team-b/models", timeout=10, params={
        "reference": f"azureml://registries/{REG}/models/shared-clf/versions/1"})
    assert r.status_code == 200, r.text
    assert r.json()["value"][0]["path"] == f"azureml://datastores/registry:{REG}/paths/{upload}"
    after = [k for k in bucket_keys(s3) if k.endswith(f"{upload}/weights.txt")]
    assert len(after) == 2, after  # and the registry's, in the bucket too
    copy = next(k for k in after if k not in before)
    body = s3.boto3_client().get_object(Bucket=BUCKET, Key=copy)["Body"].read()
    assert body == MARK.encode()
    assert on_disk(server.home) == []
    # A job in team-b reads the registry's model (staged in from the bucket).
    (tmp_path / "job.yml").write_text(
        "command: cat ${{inputs.m}}/weights.txt\n"
        "inputs:\n  m:\n    type: custom_model\n"
        f"    path: azureml://registries/{REG}/models/shared-clf/versions/1\n")
    job = ok_json(cli(url, "-o", "json", "job", "create", "-f", str(tmp_path / "job.yml"), "-w",
                      "team-b"))
    done = wait_status(url, job["name"], ("Completed", "Failed"), ws="team-b", timeout=120)
    logs = requests.get(f"{url}/api/v1/workspaces/team-b/jobs/{job['name']}/logs",
                        timeout=10).json()["data"]
    assert done["status"] == "Completed", (done, logs)
    assert MARK in logs
    # Sharing the same version again is refused and copies nothing.
    proc = cli(url, "model", "share", "--name", name, "--version", "1", "--registry-name", REG,
               "--share-with-name", "shared-clf", "--share-with-version", "1")
    assert proc.returncode == 1 and "already exists" in proc.stderr, proc.stderr
    assert [k for k in bucket_keys(s3) if k.endswith(f"{upload}/weights.txt")] == after
    # Deleting the registry deletes its files from the bucket; the workspace's stay.
    ok(cli(url, "registry", "delete", REG))
    assert [k for k in bucket_keys(s3) if k.endswith(f"{upload}/weights.txt")] == before
