"""The scoring runtime (python/mlws_scoring) on its own: the socket protocol the server speaks,
init() failures, and the MLflow input forms of no-code deployments."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"
sys.path.insert(0, str(PYTHON_DIR))
from mlws_scoring import mlflow_inputs  # noqa: E402


def frame(kind: bytes, rid: str, body: bytes) -> bytes:
    payload = kind + struct.pack(">H", len(rid)) + rid.encode() + body
    return struct.pack(">I", len(payload)) + payload


def call(sock, kind, rid, body):
    sock.sendall(frame(kind, rid, body))
    head = b""
    while len(head) < 6:
        head += sock.recv(6 - len(head))
    length, status = struct.unpack(">IH", head)
    data = b""
    while len(data) < length - 2:
        data += sock.recv(length - 2 - len(data))
    return status, data


def start(tmp_path, script_text, env=None):
    (tmp_path / "model" / "model").mkdir(parents=True)
    script = tmp_path / "score.py"
    script.write_text(script_text)
    sock_path = tmp_path / "s.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlws_scoring", "--socket", str(sock_path), "--script", str(script)],
        env={**os.environ, "PYTHONPATH": str(PYTHON_DIR),
             "AZUREML_MODEL_DIR": str(tmp_path / "model"), **(env or {})},
        stderr=open(tmp_path / "log.txt", "wb"), cwd=tmp_path)
    return proc, sock_path


def wait_socket(proc, path):
    deadline = time.monotonic() + 30
    while not path.exists():
        assert proc.poll() is None, "the runtime exited"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_protocol_ping_run_and_raise(tmp_path):
    proc, path = start(tmp_path, "import os\ndef init():\n    global d\n"
                       "    d = os.listdir(os.environ['AZUREML_MODEL_DIR'])\n"
                       "def run(raw):\n    if raw == 'boom':\n        raise KeyError('k')\n"
                       "    return {'echo': raw, 'dir': d}\n")
    try:
        wait_socket(proc, path)
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(path))
        assert call(s, b"P", "", b"") == (200, b'{"status":"healthy"}')
        status, body = call(s, b"R", "req-1", b'{"x": 1}')
        assert status == 200 and json.loads(body) == {"echo": '{"x": 1}', "dir": ["model"]}
        status, body = call(s, b"R", "req-2", b"boom")
        assert status == 500 and "KeyError" in json.loads(body)["message"]
        # The same connection keeps working after a raise.
        assert call(s, b"R", "req-3", b"again")[0] == 200
        log = (tmp_path / "log.txt").read_text()
        assert "request req-1: 200" in log and "request req-2: run() raised KeyError" in log
    finally:
        proc.kill()
        proc.wait()


def test_init_that_raises_exits_without_a_socket(tmp_path):
    proc, path = start(tmp_path, "def init():\n    raise RuntimeError('no model here')\n"
                       "def run(raw):\n    return raw\n")
    assert proc.wait(30) == 3
    assert not path.exists()
    assert "no model here" in (tmp_path / "log.txt").read_text()


@pytest.mark.parametrize("body", [
    {"input_data": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}},
    {"input_data": [[1, 2], [3, 4]]},
    {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}},
    {"dataframe_records": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]},
    {"instances": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]},
    {"inputs": {"a": [1, 3], "b": [2, 4]}},
])
def test_mlflow_input_forms(body):
    frame_ = mlflow_inputs.parse(json.dumps(body), columns=["a", "b"])
    assert list(frame_.columns) == ["a", "b"]
    assert frame_.values.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("raw,part", [
    ("not json", "not JSON"), ("[1]", "JSON object"), ('{"data": [1]}', "exactly one of"),
    ('{"inputs": 1, "instances": []}', "exactly one of")])
def test_mlflow_bad_inputs(raw, part):
    with pytest.raises(ValueError, match=part):
        mlflow_inputs.parse(raw)
