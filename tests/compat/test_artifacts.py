"""Artifacts through the tracking server's artifact proxy (mlflow-artifacts:/ URIs)."""

import hashlib
import json
import os

import mlflow
import mlflow.artifacts
import pytest
import yaml
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from conftest import MLFLOW_MAJOR


@pytest.fixture
def listing(client, reference_mlflow_version):
    """listing(run_id, path=None) -> {path: (is_dir, file_size)} of one artifact directory.

    Uses MlflowClient.list_artifacts. One exception: for a sub-directory the 3.x client goes
    through runs:/ and first calls POST /api/2.0/mlflow/logged-models/search, which an MLflow
    2.x server lacks (404); against such a server the run's artifact repository is listed
    directly instead. test_client_list_artifacts_in_subdirectory covers the client call itself.
    """
    direct = MLFLOW_MAJOR >= 3 and (reference_mlflow_version or "").startswith("2.")

    def ls(run_id, path=None):
        if path and direct:
            repo = get_artifact_repository(client.get_run(run_id).info.artifact_uri)
            files = repo.list_artifacts(path)
        else:
            files = client.list_artifacts(run_id, path)
        return {f.path: (f.is_dir, f.file_size) for f in files}

    return ls


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_log_text_and_dict(client, fluent_experiment, listing):
    with mlflow.start_run() as run:
        mlflow.log_text("hello world\n", "notes/hello.txt")
        mlflow.log_dict({"a": 1, "b": [1, 2]}, "config/params.json")
        mlflow.log_dict({"name": "x", "depth": 3}, "config/params.yaml")
    run_id = run.info.run_id

    assert listing(run_id) == {"config": (True, None), "notes": (True, None)}
    assert listing(run_id, "notes") == {"notes/hello.txt": (False, 12)}

    uri = f"runs:/{run_id}"
    assert mlflow.artifacts.load_text(f"{uri}/notes/hello.txt") == "hello world\n"
    assert mlflow.artifacts.load_dict(f"{uri}/config/params.json") == {"a": 1, "b": [1, 2]}
    json_text = mlflow.artifacts.load_text(f"{uri}/config/params.json")
    yaml_text = mlflow.artifacts.load_text(f"{uri}/config/params.yaml")
    assert json.loads(json_text) == {"a": 1, "b": [1, 2]}
    assert yaml.safe_load(yaml_text) == {"name": "x", "depth": 3}
    assert listing(run_id, "config") == {
        "config/params.json": (False, len(json_text.encode())),
        "config/params.yaml": (False, len(yaml_text.encode())),
    }


def test_log_artifact_file_at_root_and_nested(client, experiment_id, tmp_path, listing):
    src = tmp_path / "model.bin"
    src.write_bytes(b"\x00\x01binary\xff" * 100)
    run_id = client.create_run(experiment_id).info.run_id

    client.log_artifact(run_id, str(src))
    client.log_artifact(run_id, str(src), artifact_path="deep/er/path")

    assert listing(run_id) == {"model.bin": (False, 900), "deep": (True, None)}
    assert listing(run_id, "deep") == {"deep/er": (True, None)}
    assert listing(run_id, "deep/er/path") == {"deep/er/path/model.bin": (False, 900)}

    (tmp_path / "dl").mkdir()
    out = client.download_artifacts(run_id, "deep/er/path/model.bin", str(tmp_path / "dl"))
    # (2.x keeps the artifact's directories below dst, 3.x does not.)
    assert out.startswith(str(tmp_path / "dl")) and out.endswith("model.bin")
    assert read(out) == src.read_bytes()


def test_log_artifacts_directory_tree(client, fluent_experiment, tmp_path, listing):
    src = tmp_path / "tree"
    (src / "sub" / "subsub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.txt").write_text("BB")
    (src / "sub" / "subsub" / "c.json").write_text('{"c": 3}')
    (src / "empty.txt").write_text("")

    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src))  # into the root
        mlflow.log_artifacts(str(src), artifact_path="copy")  # into a folder
    run_id = run.info.run_id

    assert listing(run_id) == {
        "a.txt": (False, 1),
        "empty.txt": (False, None),  # file_size 0 is omitted on the wire
        "sub": (True, None),
        "copy": (True, None),
    }
    assert listing(run_id, "copy/sub") == {
        "copy/sub/b.txt": (False, 2),
        "copy/sub/subsub": (True, None),
    }
    assert listing(run_id, "copy/sub/subsub") == {"copy/sub/subsub/c.json": (False, 8)}

    # Download the whole folder and compare the tree file by file.
    dst = tmp_path / "downloaded"
    dst.mkdir()
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="copy", dst_path=str(dst)
    )
    assert local.rstrip("/") == str(dst / "copy")
    assert _tree(local) == _tree(str(src))

    # And the full run (root) as well.
    root = tmp_path / "root"
    root.mkdir()
    local_root = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(root))
    assert _tree(local_root)["a.txt"] == b"A"
    assert _tree(local_root)["copy/sub/subsub/c.json"] == b'{"c": 3}'


def _tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = read(full)
    return out


def test_five_megabyte_binary_round_trip(client, experiment_id, tmp_path, listing):
    payload = os.urandom(5 * 1024 * 1024 + 17)
    src = tmp_path / "blob.dat"
    src.write_bytes(payload)
    run_id = client.create_run(experiment_id).info.run_id

    client.log_artifact(run_id, str(src), artifact_path="bin")
    assert listing(run_id, "bin") == {"bin/blob.dat": (False, len(payload))}

    (tmp_path / "a").mkdir()
    via_client = client.download_artifacts(run_id, "bin/blob.dat", str(tmp_path / "a"))
    via_module = mlflow.artifacts.download_artifacts(
        artifact_uri=f"runs:/{run_id}/bin/blob.dat", dst_path=str(tmp_path / "b")
    )
    digest = hashlib.sha256(payload).hexdigest()
    assert hashlib.sha256(read(via_client)).hexdigest() == digest
    assert hashlib.sha256(read(via_module)).hexdigest() == digest


def test_download_via_full_artifact_uri(client, experiment_id, tmp_path):
    run = client.create_run(experiment_id)
    src = tmp_path / "f.txt"
    src.write_text("via artifact uri")
    client.log_artifact(run.info.run_id, str(src), artifact_path="d")

    uri = f"{run.info.artifact_uri}/d/f.txt"
    assert uri.startswith("mlflow-artifacts:/")
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "o"))
    assert read(local) == b"via artifact uri"


def test_overwrite_artifact(client, experiment_id, tmp_path, listing):
    run_id = client.create_run(experiment_id).info.run_id
    src = tmp_path / "v.txt"
    src.write_text("one")
    client.log_artifact(run_id, str(src))
    src.write_text("second")
    client.log_artifact(run_id, str(src))
    assert listing(run_id) == {"v.txt": (False, 6)}
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/v.txt") == "second"


def test_artifacts_are_per_run(client, experiment_id, tmp_path, listing):
    a = client.create_run(experiment_id).info.run_id
    b = client.create_run(experiment_id).info.run_id
    src = tmp_path / "only-a.txt"
    src.write_text("a")
    client.log_artifact(a, str(src))
    assert listing(a) == {"only-a.txt": (False, 1)}
    assert listing(b) == {}


def test_list_missing_directory_is_empty(client, experiment_id, listing):
    run_id = client.create_run(experiment_id).info.run_id
    assert client.list_artifacts(run_id) == []
    assert listing(run_id, "does/not/exist") == {}


def test_client_list_artifacts_in_subdirectory(client, experiment_id, skip_if_reference_2x_lacks):
    skip_if_reference_2x_lacks(
        "the 3.x client's list_artifacts(run_id, path) first calls "
        "POST /api/2.0/mlflow/logged-models/search, which the 2.x server lacks (404)"
    )
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "abc", "sub/dir/file.txt")
    client.log_text(run_id, "top", "top.txt")
    files = client.list_artifacts(run_id, "sub")
    assert [(f.path, f.is_dir, f.file_size) for f in files] == [("sub/dir", True, None)]
    files = client.list_artifacts(run_id, "sub/dir")
    assert [(f.path, f.is_dir, f.file_size) for f in files] == [("sub/dir/file.txt", False, 3)]
    assert client.list_artifacts(run_id, "sub/missing") == []


def test_download_missing_artifact_fails(client, experiment_id, tmp_path):
    run_id = client.create_run(experiment_id).info.run_id
    with pytest.raises(Exception):  # noqa: B017 (the exception type differs between clients)
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="missing.txt", dst_path=str(tmp_path)
        )


def test_fluent_artifact_uri(client, fluent_experiment):
    with mlflow.start_run() as run:
        assert mlflow.get_artifact_uri() == run.info.artifact_uri
        assert mlflow.get_artifact_uri("x/y.txt") == f"{run.info.artifact_uri}/x/y.txt"
        mlflow.log_text("content", "x/y.txt")
    assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/x/y.txt") == "content"


def test_log_artifact_with_special_characters(client, experiment_id, tmp_path, listing):
    run_id = client.create_run(experiment_id).info.run_id
    src = tmp_path / "my file (1)+ü.txt"
    src.write_text("spaces and unicode")
    client.log_artifact(run_id, str(src), artifact_path="dir with space")
    assert listing(run_id, "dir with space") == {
        "dir with space/my file (1)+ü.txt": (False, len("spaces and unicode"))
    }
    assert (
        mlflow.artifacts.load_text(f"runs:/{run_id}/dir with space/my file (1)+ü.txt")
        == "spaces and unicode"
    )
