"""Assets from the CLI: the Azure ML example specs (tests/data/azureml, unmodified) through
`mlws model|data|environment|component|datastore …` against a live server, content-hashed
uploads, versions, archive/restore, download, and bad specs that change nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import requests
import yaml

from conftest import ML, MlwsServer, unique
from test_cli import cli, failed, ok, ok_json, table
from mlws_testkit import artifacts

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "azureml" / "cli"
ASSETS = EXAMPLES / "assets"
COMPONENTS = EXAMPLES / "jobs" / "pipelines-with-components" / "basics"


def v1(server, path: str) -> str:
    return f"{server.url}/api/v1/workspaces/default{path}"


def create(server, noun: str, spec: Path, *extra: str) -> dict:
    return ok_json(cli(server.url, noun, "create", "-f", str(spec), *extra, output="json"))


def upload_dirs(server) -> list:
    """The upload folders (one per content hash) on disk, or in the test bucket."""
    if not artifacts.on_s3():
        root = Path(server.home) / "artifacts"
        return sorted(root.glob("*/datastores/workspaceblobstore/LocalUpload/*"))
    part = "/datastores/workspaceblobstore/LocalUpload/"
    dirs = {k.split(part)[0] + part + k.split(part)[1].split("/")[0]
            for k in artifacts.list_keys(server.home) if part in k}
    return [artifacts.artifact_root(server.home) / d for d in sorted(dirs)]


# --- data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec,type_", [
    ("local-file.yml", "uri_file"),
    ("local-folder.yml", "uri_folder"),
    ("local-mltable.yml", "mltable"),
    ("local-folder-sampledata.yml", "uri_folder"),
])
def test_data_from_local_paths_is_uploaded(server, spec, type_):
    a = create(server, "data", ASSETS / "data" / spec)
    name = yaml.safe_load((ASSETS / "data" / spec).read_text())["name"]
    assert a["name"] == name and a["type"] == type_ and a["version"]
    assert a["path"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert len(a["content_hash"]) == 64
    # The files are on the server and can be listed through the datastore.
    rel = a["path"].split("/paths/", 1)[1]
    r = requests.get(v1(server, "/datastores/workspaceblobstore/files"), params={"path": rel})
    assert r.status_code == 200, r.text
    assert r.json()["files"]


@pytest.mark.parametrize("spec", [
    "cloud-file.yml", "cloud-folder.yml", "cloud-mltable.yml", "iris-csv-example.yml",
    "cloud-file-https.yml", "cloud-folder-https.yml", "public-file-https.yml",
    "cloud-file-wasbs.yml", "cloud-folder-wasbs.yml",
])
def test_data_from_cloud_uris_is_recorded(server, spec):
    text = yaml.safe_load((ASSETS / "data" / spec).read_text())
    a = create(server, "data", ASSETS / "data" / spec)
    assert a["path"].rstrip("/") == text["path"].rstrip("/")
    assert a["content_hash"] == ""


def test_identical_folder_is_stored_once(server):
    spec = ASSETS / "data" / "local-folder.yml"
    a = create(server, "data", spec, "--name", unique("copy-a"))
    before = upload_dirs(server)
    b = create(server, "data", spec, "--name", unique("copy-b"))
    assert a["content_hash"] == b["content_hash"]
    assert upload_dirs(server) == before  # nothing new on disk
    r = requests.get(v1(server, f"/uploads/{a['content_hash']}"))
    assert r.status_code == 200


def test_versions_latest_show_update_archive_restore(server):
    name = unique("ds")
    spec = ASSETS / "data" / "local-file.yml"
    a1 = create(server, "data", spec, "--name", name)
    a2 = create(server, "data", spec, "--name", name)
    assert (a1["version"], a2["version"]) == ("1", "2")
    explicit = create(server, "data", spec, "--name", name, "--version", "v-three")
    assert explicit["version"] == "v-three"
    # Same version again: refused, nothing changes.
    failed(cli(server.url, "data", "create", "-f", str(spec), "--name", name, "--version", "2"),
           "already exists")
    latest = ok_json(cli(server.url, "data", "show", name, output="json"))
    assert latest["version"] == "v-three"
    assert ok_json(cli(server.url, "data", "show", name, "--version", "1", output="json"))["version"] == "1"
    # YAML output
    shown = yaml.safe_load(ok(cli(server.url, "data", "show", name, "-v", "2", output="yaml")))
    assert shown["version"] == "2" and shown["name"] == name
    # update description and tags
    u = ok_json(cli(server.url, "data", "update", name, "--version", "2", "--description", "new",
                    "--tag", "stage=gold", "--set", "tags.owner=ml", output="json"))
    assert u["description"] == "new" and u["tags"] == {"stage": "gold", "owner": "ml"}
    # archive hides from latest and lists
    ok(cli(server.url, "data", "archive", name, "--version", "v-three"))
    assert ok_json(cli(server.url, "data", "show", name, output="json"))["version"] == "2"
    listed = ok_json(cli(server.url, "data", "list", "--name", name, output="json"))["value"]
    assert sorted(a["version"] for a in listed) == ["1", "2"]
    listed = ok_json(cli(server.url, "data", "list", "--name", name, "--include-archived",
                         output="json"))["value"]
    assert sorted(a["version"] for a in listed) == ["1", "2", "v-three"]
    ok(cli(server.url, "data", "restore", name, "--version", "v-three"))
    assert ok_json(cli(server.url, "data", "show", name, output="json"))["version"] == "v-three"
    # archive every version: @latest is gone
    ok(cli(server.url, "data", "archive", name))
    failed(cli(server.url, "data", "show", name), "no version that is not archived")
    ok(cli(server.url, "data", "restore", name))
    # table list shows the latest per name
    head, rows = table(ok(cli(server.url, "data", "list")))
    assert head[:3] == ["NAME", "VERSION", "TYPE"]
    assert [r[1] for r in rows if r[0] == name] == ["v-three"]


def test_download_gets_the_files_back(server, tmp_path):
    a = create(server, "data", ASSETS / "data" / "local-folder.yml", "--name", unique("dl"))
    ok(cli(server.url, "data", "download", a["name"], "--version", a["version"],
           "--download-path", str(tmp_path)))
    got = tmp_path / a["name"] / "titanic.csv"
    assert got.read_bytes() == (ASSETS / "data" / "sample-data" / "titanic.csv").read_bytes()


def test_delete_collects_unreferenced_uploads(server, tmp_path):
    folder = tmp_path / "unique-data"
    folder.mkdir()
    (folder / "x.txt").write_text(unique("payload"))
    spec = tmp_path / "d.yml"
    spec.write_text(f"name: {unique('gc')}\ntype: uri_folder\npath: unique-data\n")
    a = create(server, "data", spec)
    b = create(server, "data", spec, "--name", unique("gc-b"))
    upload = [d for d in upload_dirs(server) if d.name == a["content_hash"]]
    assert len(upload) == 1
    ok(cli(server.url, "data", "delete", a["name"], "--version", a["version"]))
    assert upload[0].exists()  # still used by b
    ok(cli(server.url, "data", "delete", b["name"], "--version", b["version"]))
    assert not upload[0].exists()
    failed(cli(server.url, "data", "show", a["name"]), "does not exist")


# --- models ----------------------------------------------------------------------------------


def test_models_are_in_the_mlflow_registry(server, tmp_path):
    m = create(server, "model", ASSETS / "model" / "local-mlflow.yml")
    assert m["type"] == "mlflow_model" and m["version"] == "1"
    f = create(server, "model", ASSETS / "model" / "local-file.yml")
    assert f["type"] == "custom_model" and f["path"].endswith("/model.pkl")
    r = requests.get(server.url + ML + "/model-versions/get",
                     params={"name": "local-mlflow-example", "version": "1"})
    assert r.status_code == 200, r.text
    mv = r.json()["model_version"]
    assert mv["status"] == "READY"
    assert mv["source"].startswith("mlflow-artifacts:/datastores/workspaceblobstore/LocalUpload/")
    # The source is readable through the artifact proxy, as MLflow clients download it.
    rel = mv["source"].split("mlflow-artifacts:/", 1)[1]
    got = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}/MLmodel")
    assert got.status_code == 200
    assert got.content == (ASSETS / "model" / "mlflow-model" / "MLmodel").read_bytes()
    # ... but not writable through it (uploads are immutable).
    put = requests.put(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}/MLmodel", data=b"x")
    assert put.status_code == 403
    # Model versions are numbered with the registry.
    m2 = create(server, "model", ASSETS / "model" / "local-mlflow.yml")
    assert m2["version"] == "2"
    failed(cli(server.url, "model", "create", "-f", str(ASSETS / "model" / "local-mlflow.yml"),
               "--version", "7"), "next version")
    failed(cli(server.url, "model", "create", "-f", str(ASSETS / "model" / "local-mlflow.yml"),
               "--version", "abc"), "positive integers")
    r = requests.get(server.url + ML + "/registered-models/get",
                     params={"name": "local-mlflow-example"})
    assert [v["version"] for v in r.json()["registered_model"]["latest_versions"]] == ["2"]
    ok(cli(server.url, "model", "download", "local-file-example", "--download-path", str(tmp_path)))
    assert (tmp_path / "local-file-example" / "model.pkl").read_bytes() == \
        (ASSETS / "model" / "mlflow-model" / "model.pkl").read_bytes()
    ok(cli(server.url, "model", "download", "local-mlflow-example", "--version", "1",
           "--download-path", str(tmp_path)))
    assert (tmp_path / "local-mlflow-example" / "model.pkl").read_bytes() == \
        (ASSETS / "model" / "mlflow-model" / "model.pkl").read_bytes()


def test_model_registered_with_mlflow_resolves_as_asset(server):
    name = unique("mlflow-model")
    requests.post(server.url + ML + "/registered-models/create", json={"name": name}).raise_for_status()
    requests.post(server.url + ML + "/model-versions/create",
                  json={"name": name, "source": "s3://bucket/model"}).raise_for_status()
    a = ok_json(cli(server.url, "model", "show", name, output="json"))
    assert a["version"] == "1" and a["path"] == "s3://bucket/model"
    r = requests.get(v1(server, "/models"), params={"reference": f"azureml:{name}:1"})
    assert r.status_code == 200 and r.json()["value"][0]["name"] == name
    # Listed with the other models: latest per name, and every version with --all-versions.
    requests.post(server.url + ML + "/model-versions/create",
                  json={"name": name, "source": "s3://bucket/model2"}).raise_for_status()
    listed = ok_json(cli(server.url, "model", "list", output="json"))["value"]
    assert [(m["version"], m["path"]) for m in listed if m["name"] == name] == [("2", "s3://bucket/model2")]
    listed = ok_json(cli(server.url, "model", "list", "--name", name, output="json"))["value"]
    assert [m["version"] for m in listed] == ["2", "1"]


# --- environments ----------------------------------------------------------------------------


def test_environment_specs(server):
    img = create(server, "environment", ASSETS / "environment" / "docker-image.yml")
    assert img["spec"]["image"] == "pytorch/pytorch:latest"
    conda = create(server, "environment", ASSETS / "environment" / "docker-image-plus-conda.yaml")
    # The conda file travels inline, as Azure ML's CLI sends it.
    pip = [d for d in conda["spec"]["conda_file"]["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert "numpy==1.22" in pip
    ctx = create(server, "environment", ASSETS / "environment" / "docker-context.yml")
    assert ctx["spec"]["build"]["path"].startswith(
        "azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert ctx["content_hash"]


def test_curated_registry_references(server):
    base = v1(server, "/environments")
    for ref in ["azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
                "azureml:AzureML-sklearn-1.5@latest"]:
        r = requests.get(base, params={"reference": ref})
        assert r.status_code == 200, (ref, r.text)
        env = r.json()["value"][0]
        assert env["name"] == "sklearn-1.5"
        pip = [d for d in env["spec"]["conda_file"]["dependencies"] if isinstance(d, dict)][0]["pip"]
        assert any(p.startswith("scikit-learn==1.5") for p in pip)
    shown = ok_json(cli(server.url, "environment", "show",
                        "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                        output="json"))
    assert shown["name"] == "sklearn-1.5" and shown["version"] == "1"
    r = requests.get(base, params={"reference": "azureml://registries/nope/environments/x/labels/latest"})
    assert r.status_code == 404 and "registry 'nope'" in r.json()["message"]
    r = requests.get(base, params={"reference": "azureml://registries/azureml/environments/nope/labels/latest"})
    assert r.status_code == 404


# --- components ------------------------------------------------------------------------------


def copy_with_code(src: Path, dest: Path, code_dirs: list[str]) -> Path:
    shutil.copytree(src, dest)
    for d in code_dirs:
        (dest / d).mkdir(parents=True, exist_ok=True)
        (dest / d / "hello.py").write_text("print('hello')\n")
    return dest


def test_component_specs(server, tmp_path):
    d = copy_with_code(COMPONENTS / "2b_component_with_input_output", tmp_path / "2b", ["src"])
    c = create(server, "component", d / "component.yml")
    assert c["name"] == "hello_python_world" and c["version"] == "1" and c["type"] == "command"
    assert c["spec"]["code"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert set(c["spec"]["inputs"]) == {"sample_input_data", "sample_input_string"}
    d3 = copy_with_code(COMPONENTS / "3b_pipeline_with_data", tmp_path / "3b",
                        ["componentA_src", "componentB_src", "componentC_src"])
    for n in "ABC":
        c = create(server, "component", d3 / f"component{n}.yml")
        assert c["name"] == f"component_{n.lower()}"
    # The same spec again (version 1 in the file): refused.
    failed(cli(server.url, "component", "create", "-f", str(d / "component.yml")), "already exists")
    # Without the code folder: a clear error naming the file.
    (tmp_path / "nocode").mkdir()
    shutil.copy(d / "component.yml", tmp_path / "nocode" / "component.yml")
    failed(cli(server.url, "component", "create", "-f", str(tmp_path / "nocode" / "component.yml"),
               "--set", "version=2"), "component.yml", "code './src' does not exist")


def test_component_with_registry_environment(server, tmp_path):
    spec = tmp_path / "c.yml"
    spec.write_text(
        "name: train_sk\nversion: 1\ntype: command\ncommand: python -c 'print(1)' --x ${{inputs.x}}\n"
        "inputs:\n  x:\n    type: integer\n"
        "environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\n")
    c = create(server, "component", spec)
    assert c["spec"]["environment"].endswith("sklearn-1.5/labels/latest")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: train_bad\ntype: command\ncommand: echo\nenvironment: azureml:missing-env:3\n")
    failed(cli(server.url, "component", "create", "-f", str(bad)), "missing-env")
    undeclared = tmp_path / "undeclared.yml"
    undeclared.write_text("name: train_und\ntype: command\ncommand: echo ${{inputs.z}}\n"
                          "environment:\n  image: python\n")
    failed(cli(server.url, "component", "create", "-f", str(undeclared)), "inputs.z")
    assert requests.get(v1(server, "/components/train_bad")).status_code == 404
    assert requests.get(v1(server, "/components/train_und")).status_code == 404


# --- bad specs change nothing ----------------------------------------------------------------


def test_bad_specs(server, tmp_path):
    def spec(text: str) -> Path:
        p = tmp_path / f"{unique('spec')}.yml"
        p.write_text(text)
        return p

    name = unique("bad")
    failed(cli(server.url, "data", "create", "-f", str(spec(f"name: {name}\npath: x\ncolour: red\n"))),
           ".yml", "unknown field 'colour'")
    failed(cli(server.url, "data", "create", "-f", str(spec(f"name: {name}\npath: ./missing\n"))),
           "path './missing' does not exist")
    failed(cli(server.url, "data", "create", "-f", str(spec("name: -bad name\npath: https://x/y\n"))),
           "invalid data name")
    failed(cli(server.url, "data", "create", "-f", str(spec(f"name: {name}\ntype: tabular\npath: https://x\n"))),
           "unknown data type 'tabular'")
    failed(cli(server.url, "data", "create", "-f", str(spec("name: [unclosed\n"))), "invalid YAML")
    failed(cli(server.url, "data", "create", "-f", str(tmp_path / "nope.yml")), "no such file")
    failed(cli(server.url, "data", "create", "-f", str(spec(f"name: {name}\npath: azureml://datastores/nostore/paths/x\n"))),
           "Datastore 'nostore' does not exist")
    failed(cli(server.url, "environment", "create", "-f", str(spec(f"name: {name}\n"))),
           "needs an image, a conda_file or a build context")
    assert requests.get(v1(server, f"/data/{name}")).status_code == 404
    assert requests.get(v1(server, f"/environments/{name}")).status_code == 404


# --- datastores ------------------------------------------------------------------------------


def test_datastores(server, tmp_path):
    listed = ok_json(cli(server.url, "datastore", "list", output="json"))["value"]
    blob = [d for d in listed if d["name"] == "workspaceblobstore"][0]
    assert blob["is_default"] and blob["type"] == "local"
    # A local datastore must be under the server's allowed roots (<home>/datastores).
    allowed = Path(server.home) / "datastores" / "team"
    allowed.mkdir(parents=True)
    (allowed / "raw").mkdir()
    (allowed / "raw" / "a.csv").write_text("x,y\n1,2\n")
    spec = tmp_path / "ds.yml"
    spec.write_text(f"name: team_local\ntype: local\npath: {allowed}\n")
    d = ok_json(cli(server.url, "datastore", "create", "-f", str(spec), output="json"))
    assert d["path"] == str(allowed.resolve())
    outside = tmp_path / "outside.yml"
    outside.write_text(f"name: sneaky\ntype: local\npath: {tmp_path}\n")
    failed(cli(server.url, "datastore", "create", "-f", str(outside)), "outside the folders")
    inline = tmp_path / "inline.yml"
    inline.write_text("name: s3inline\ntype: s3\nbucket: data\nsecret_access_key: abc\n")
    failed(cli(server.url, "datastore", "create", "-f", str(inline)), "never given inline")
    nosecret = tmp_path / "s3.yml"
    nosecret.write_text("name: s3store\ntype: s3\nbucket: ml-data\nprefix: team/\n"
                        "endpoint_url: http://127.0.0.1:9000\ncredentials_secret: s3-creds\n")
    failed(cli(server.url, "datastore", "create", "-f", str(nosecret)), "s3-creds")
    s3 = tmp_path / "s3ok.yml"
    s3.write_text("name: s3store\ntype: s3\nbucket: ml-data\nprefix: team/\n"
                  "endpoint_url: http://127.0.0.1:9000\n")
    got = ok_json(cli(server.url, "datastore", "create", "-f", str(s3), output="json"))
    assert got["bucket"] == "ml-data" and got["type"] == "s3"
    # Data asset pointing into the local datastore; files listed and downloaded through the API.
    dspec = tmp_path / "data.yml"
    dspec.write_text("name: team_raw\ntype: uri_folder\npath: azureml://datastores/team_local/paths/raw\n")
    a = create(server, "data", dspec)
    assert a["path"] == "azureml://datastores/team_local/paths/raw"
    ok(cli(server.url, "datastore", "download", "team_local", "--path", "raw",
           "--download-path", str(tmp_path / "dl")))
    assert (tmp_path / "dl" / "a.csv").read_text() == "x,y\n1,2\n"
    r = requests.get(v1(server, "/datastores/team_local/download/raw/a.csv"))
    assert r.status_code == 200 and r.text == "x,y\n1,2\n"
    r = requests.get(v1(server, "/datastores/team_local/download/raw/..%2F..%2Fetc/passwd"))
    assert r.status_code in (400, 404)
    # An s3 datastore without credentials (no credentials_secret, no AWS_* variables): reading
    # through it fails and names the datastore and what is missing (test_s3_artifacts.py reads one).
    # With MLWS_TEST_ARTIFACTS=s3 the server has AWS_* variables: it tries them on the datastore's
    # (absent) endpoint instead.
    why = "cannot reach the S3 endpoint" if artifacts.on_s3() else "no S3 credentials"
    s3data = tmp_path / "s3data.yml"
    s3data.write_text("name: s3_raw\ntype: uri_folder\npath: azureml://datastores/s3store/paths/raw\n")
    s3a = create(server, "data", s3data)
    assert s3a["path"] == "azureml://datastores/s3store/paths/raw"
    failed(cli(server.url, "data", "download", "s3_raw", "--download-path", str(tmp_path / "s3")),
           "s3store", why)
    # In use: cannot delete; the default cannot be deleted at all.
    failed(cli(server.url, "datastore", "delete", "team_local"), "is used by data team_raw:1")
    failed(cli(server.url, "datastore", "delete", "workspaceblobstore"), "cannot be deleted")
    failed(cli(server.url, "datastore", "delete", "s3store"), "is used by data s3_raw:1")
    ok(cli(server.url, "data", "delete", "s3_raw", "--version", "1"))
    ok(cli(server.url, "datastore", "delete", "s3store"))


# --- environment builds ----------------------------------------------------------------------


def test_environment_builds_once_per_content_and_keeps_its_log(server, tmp_path):
    import concurrent.futures

    conda = tmp_path / "conda.yml"
    conda.write_text("name: tiny\ndependencies:\n  - python=3\n  - pip\n  - pip:\n    - six==1.16.0\n")
    spec = tmp_path / "env.yml"
    spec.write_text(f"name: {unique('tiny-env')}\nimage: python:3.11\nconda_file: conda.yml\n")
    env = create(server, "environment", spec)
    ref = f"{env['name']}:{env['version']}"
    # Two concurrent requests for the same new environment: one build, both get it.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futs = [pool.submit(cli, server.url, "environment", "build", ref, output="json",
                            timeout=600) for _ in range(2)]
        results = [ok_json(f.result()) for f in futs]
    assert results[0]["hash"] == results[1]["hash"] and len(results[0]["hash"]) == 64
    assert "image python:3.11 not used" in results[0]["note"]
    log = ok(cli(server.url, "environment", "build-log", results[0]["hash"]))
    assert log.count("Successfully installed six-1.16.0") == 1, log
    venv_python = results[0]["python"]
    import subprocess
    subprocess.run([venv_python, "-c", "import six"], check=True)
    # A second version with the same requirements shares the build.
    env2 = create(server, "environment", spec)
    again = ok_json(cli(server.url, "environment", "build", f"{env['name']}:{env2['version']}",
                        output="json"))
    assert again["hash"] == results[0]["hash"]
    # Image-only: the host interpreter, said plainly.
    img = create(server, "environment", ASSETS / "environment" / "docker-image.yml")
    out = ok(cli(server.url, "environment", "build", f"{img['name']}:{img['version']}"))
    assert "no container runtime" in out
    # A build that fails keeps its log and says where it is.
    bad = tmp_path / "bad.yml"
    bad.write_text(f"name: {unique('bad-env')}\npip_requirements: ['mlws-no-such-package-xyz==0.0.1']\n"
                   "image: python\n")
    b = create(server, "environment", bad)
    proc = cli(server.url, "environment", "build", f"{b['name']}:{b['version']}", timeout=600)
    failed(proc, "environment build failed", "pip install failed")
    import re
    h = re.search(r"build ([0-9a-f]{64})", proc.stderr).group(1)
    log = ok(cli(server.url, "environment", "build-log", h))
    assert "mlws-no-such-package-xyz" in log
    failed(cli(server.url, "environment", "build-log", "f" * 64), "no build")


def test_servers_sharing_an_environments_dir_build_each_environment_once(tmp_path):
    """Two servers naming one --environments-dir, asked for the same new environment at once:
    one pip install between them, both answer with the one build in the shared folder."""
    import concurrent.futures

    shared = tmp_path / "shared-envs"
    conda = tmp_path / "conda.yml"
    conda.write_text("name: tiny\ndependencies:\n  - pip:\n    - six==1.16.0\n")
    spec = tmp_path / "env.yml"
    spec.write_text("name: shared-tiny\nconda_file: conda.yml\n")
    servers = [MlwsServer(tmp_path / name, extra_args=["--environments-dir", str(shared)])
               for name in ("a", "b")]
    try:
        for s in servers:
            s.start()
        refs = []
        for s in servers:
            env = create(s, "environment", spec)
            refs.append(f"{env['name']}:{env['version']}")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futs = [pool.submit(cli, s.url, "environment", "build", ref, output="json",
                                timeout=600) for s, ref in zip(servers, refs)]
            results = [ok_json(f.result()) for f in futs]
        assert results[0]["hash"] == results[1]["hash"]
        assert results[0]["python"] == results[1]["python"]
        assert results[0]["python"].startswith(str(shared) + "/"), results[0]
        for s in servers:
            log = ok(cli(s.url, "environment", "build-log", results[0]["hash"]))
            assert log.count("Successfully installed six-1.16.0") == 1, log
            assert not (s.home / "envs" / results[0]["hash"]).exists()
    finally:
        for s in servers:
            s.stop()
