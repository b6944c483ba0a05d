"""Compute instances (docs/compute.md#compute-instances): a JupyterLab per instance, sandboxed,
reached only through the mlws proxy at /workspaces/<ws>/computes/<name>/lab/ after mlws
sign-in. One instance goes through its life: started, a notebook saved into the owner's
datastore folder, a cell run over the kernel WebSocket logs to MLflow, another user refused,
restart, stop/start, then idle shutdown. Waits on states, never on sleeps being long enough."""

import base64
import calendar
import json
import os
import socket
import struct
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import MlwsServer
from mlws_testkit import artifacts

REPO = Path(__file__).resolve().parents[2]
JUPYTER = REPO / ".venv-jupyter" / "bin" / "jupyter"
pytestmark = pytest.mark.skipif(not JUPYTER.exists(),
                                reason=".venv-jupyter is not built (make deps builds it)")

PASSWORD = "compute instance pw 1"
START_TIMEOUT_S = 240
IDLE = "PT25S"


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def wait_state(url, auth, name, want, timeout=START_TIMEOUT_S, after=0):
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(f"{url}/api/v1/workspaces/default/computes/{name}", headers=auth,
                         timeout=30)
        assert r.status_code == 200, r.text
        ci = r.json()
        if ci["state"] == want and ci["started_at"] >= after:
            return ci
        assert ci["state"] != "Failed" or want == "Failed", ci.get("error")
        assert time.monotonic() < deadline, f"still {ci['state']}, wanted {want}: {ci}"
        time.sleep(0.2)


class WebSocket:
    """The few bytes of RFC 6455 a kernel channel needs (text frames; no extensions)."""

    def __init__(self, url, headers, timeout):
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        head = [f"GET {u.path}{'?' + u.query if u.query else ''} HTTP/1.1",
                f"Host: {u.hostname}:{u.port}", "Upgrade: websocket", "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, self.buf
            self.buf += chunk
        status_line, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(status_line.split()[1])

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode in (0x9, 0xA):  # ping/pong: not part of a message
                continue
            assert opcode != 0x8, "the kernel channel closed"
            message += payload
            if b0 & 0x80:
                return message.decode()

    def close(self):
        self.sock.close()


def run_cell(ws_url, headers, code, timeout=180):
    """Executes `code` over the kernel's channels WebSocket; returns (status, stdout)."""
    conn = WebSocket(ws_url, headers, timeout)
    assert conn.status == 101, conn.status
    msg_id = uuid.uuid4().hex
    conn.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "e2e", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    out, status = "", None
    while status is None:
        m = json.loads(conn.recv())
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream":
            out += m["content"]["text"]
        elif m["msg_type"] == "error":
            out += "\n".join(m["content"]["traceback"])
        elif m["msg_type"] == "execute_reply":
            status = m["content"]["status"]
    conn.close()
    return status, out


@artifacts.local_only("reads Users/<owner> through the datastore right after the lab saved; on "
                      "s3:// the files reach the bucket at write-back (test_compute_instance_s3)")
def test_compute_instance_lifecycle_through_the_proxy(spawn):
    srv = spawn()
    url = srv.url
    assert requests.post(url + "/api/v1/users", json={"name": "alice", "password": PASSWORD},
                         timeout=30).status_code == 201
    for user in ("carol", "bob"):
        assert requests.post(url + "/api/v1/users", json={"name": user, "password": PASSWORD},
                             headers=basic("alice"), timeout=30).status_code == 201
        assert requests.post(url + "/api/v1/role-assignments",
                             json={"user": user, "role": "Contributor"},
                             headers=basic("alice"), timeout=30).status_code == 201
    token = requests.post(url + "/api/v1/tokens", json={"name": "lab"}, headers=basic("carol"),
                          timeout=30).json()["secret"]
    carol = bearer(token)
    computes = url + "/api/v1/workspaces/default/computes"

    spec = {"name": "ci1", "type": "computeinstance", "size": "Standard_DS3_v2",
            "idle_time_before_shutdown": IDLE, "ssh_settings": {"ssh_key_value": "ignored"}}
    r = requests.post(computes, json=spec, headers=carol, timeout=60)
    assert r.status_code == 201, r.text
    assert r.json()["state"] in ("Starting", "Running") and r.json()["owner"] == "carol"
    # A name in use: 409, nothing changed.
    r = requests.post(computes, json=spec, headers=carol, timeout=60)
    assert r.status_code == 409, r.text
    ci = wait_state(url, carol, "ci1", "Running")
    assert ci["lab_path"] == "/workspaces/default/computes/ci1/lab/"
    listed = requests.get(computes, headers=carol, timeout=30).json()["value"]
    assert [c["state"] for c in listed if c["name"] == "ci1"] == ["Running"]

    lab = url + ci["lab_path"]
    # Another user: 403 on HTTP and on the WebSocket handshake; anonymous: 401.
    r = requests.get(lab + "api/status", headers=basic("bob"), timeout=30)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED", r.text
    assert requests.get(lab + "api/status", timeout=30).status_code == 401

    # A notebook, saved through the proxy, lands in carol's folder of the default datastore.
    nb = {"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4,
                                          "nbformat_minor": 5}}
    r = requests.put(lab + "api/contents/e2e.ipynb", json=nb, headers=carol, timeout=60)
    assert r.status_code in (200, 201), r.text
    files = requests.get(url + "/api/v1/workspaces/default/datastores/workspaceblobstore/files",
                         params={"path": "Users/carol"}, headers=carol, timeout=30)
    assert files.status_code == 200, files.text
    assert "e2e.ipynb" in files.text, files.text

    r = requests.post(lab + "api/sessions", json={"path": "e2e.ipynb", "type": "notebook",
                                                  "name": "", "kernel": {"name": "python3"}},
                      headers=carol, timeout=120)
    assert r.status_code == 201, r.text
    kernel = r.json()["kernel"]["id"]
    ws_url = lab.replace("http://", "ws://") + f"api/kernels/{kernel}/channels"
    denied = WebSocket(ws_url, basic("bob"), 30)
    assert denied.status == 403
    denied.close()
    status, out = run_cell(ws_url, carol, "\n".join([
        "import mlflow",
        "mlflow.set_experiment('from-the-lab')",
        "with mlflow.start_run() as run:",
        "    mlflow.log_metric('lab_metric', 42.5)",
        "print('RUN', run.info.run_id)",
    ]))
    assert status == "ok", out
    run_id = out.split("RUN ")[1].split()[0]
    got = requests.get(url + "/api/2.0/mlflow/runs/get", params={"run_id": run_id},
                       headers=carol, timeout=30)
    assert got.status_code == 200, got.text
    metrics = {m["key"]: m["value"] for m in got.json()["run"]["data"]["metrics"]}
    assert metrics == {"lab_metric": 42.5}

    # restart, stop, start: each waits on the state.
    before = ci["started_at"]
    r = requests.post(f"{computes}/ci1/restart", json={}, headers=carol, timeout=60)
    assert r.status_code == 200, r.text
    ci = wait_state(url, carol, "ci1", "Running", after=before + 1)
    r = requests.post(f"{computes}/ci1/stop", json={}, headers=carol, timeout=60)
    assert r.status_code == 200 and r.json()["state"] in ("Stopping", "Stopped"), r.text
    stopped = wait_state(url, carol, "ci1", "Stopped")
    assert stopped["last_stop_reason"] == "stop"
    r = requests.get(lab + "api/status", headers=carol, timeout=30)
    assert r.status_code == 503, r.text
    r = requests.post(f"{computes}/ci1/start", json={}, headers=carol, timeout=60)
    assert r.status_code == 200, r.text
    ci = wait_state(url, carol, "ci1", "Running", after=ci["started_at"] + 1)
    # The notebook outlived the restarts.
    r = requests.get(lab + "api/contents/e2e.ipynb", headers=carol, timeout=30)
    assert r.status_code == 200, r.text

    # Left alone, it stops itself after the idle time.
    stopped = wait_state(url, carol, "ci1", "Stopped", timeout=START_TIMEOUT_S)
    assert stopped["last_stop_reason"] == "idle", stopped


def test_bad_compute_instance_specs_change_nothing(spawn):
    url = spawn().url
    computes = url + "/api/v1/workspaces/default/computes"
    for spec, part in [
        ({"type": "computeinstance"}, "name"),
        ({"name": "1bad", "type": "computeinstance"}, "name"),
        ({"name": "ok", "type": "computeinstance", "idle_time_before_shutdown": "30m"},
         "idle_time_before_shutdown"),
        ({"name": "ok", "type": "computeinstance", "idle_time_before_shutdown": "PT1M",
          "idle_time_before_shutdown_minutes": 5}, "not both"),
        ({"name": "ok", "type": "computeinstance", "schedules": {"compute_start_stop": [
            {"action": "pause", "trigger": {"type": "cron", "expression": "0 18 * * *"}}]}},
         "action"),
        ({"name": "ok", "type": "computeinstance", "schedules": {"compute_start_stop": [
            {"action": "stop", "trigger": {"type": "cron", "expression": "61 18 * * *"}}]}},
         "trigger"),
        ({"name": "ok", "type": "computeinstance", "shared_with": ["nobody"]}, "nobody"),
        ({"name": "ok", "type": "computeinstance", "max_instances": 3}, "max_instances"),
    ]:
        r = requests.post(computes, json=spec, timeout=30)
        assert r.status_code == 400, (spec, r.text)
        assert part in r.json()["message"], (spec, r.text)
    names = [c["name"] for c in requests.get(computes, timeout=30).json()["value"]]
    assert names == ["local"], names
    for verb in ("start", "stop", "restart"):
        r = requests.post(f"{computes}/nothere/{verb}", json={}, timeout=30)
        assert r.status_code == 404, r.text
    r = requests.get(url + "/workspaces/default/computes/nothere/lab/api/status", timeout=30)
    assert r.status_code == 404, r.text


@artifacts.local_only("the s3:// copy of Users/<owner> is covered by test_compute_instance_s3; "
                      "this slow test runs once")
def test_schedules_start_and_stop_it_and_a_restarted_server_readopts_it(tmp_path):
    """Start/stop schedules fire on the schedules' clock, which this test moves
    (MLWS_SCHEDULE_CLOCK_FILE), and a lab that runs while the server restarts is adopted by the
    new server: still Running, same process, reached through the proxy."""
    clock = tmp_path / "clock"
    t0 = calendar.timegm((2030, 1, 7, 8, 0, 0)) * 1000  # a Monday, 08:00 UTC
    clock.write_text(str(t0))
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     env={"MLWS_SCHEDULE_CLOCK_FILE": str(clock)})
    srv.start()
    try:
        url = srv.url
        assert requests.post(url + "/api/v1/users", json={"name": "alice", "password": PASSWORD},
                             timeout=30).status_code == 201
        alice = basic("alice")
        spec = {"name": "ci2", "type": "computeinstance", "schedules": {"compute_start_stop": [
            {"action": "stop", "trigger": {"type": "cron", "expression": "0 18 * * *",
                                           "time_zone": "UTC"}},
            {"action": "start", "trigger": {"type": "cron", "expression": "0 7 * * *",
                                            "time_zone": "UTC"}}]}}
        r = requests.post(url + "/api/v1/workspaces/default/computes", json=spec, headers=alice,
                          timeout=60)
        assert r.status_code == 201, r.text
        ci = wait_state(url, alice, "ci2", "Running")
        lab = url + ci["lab_path"]
        r = requests.get(lab + "api/status", headers=alice, timeout=30)
        assert r.status_code == 200, r.text
        lab_started = r.json()["started"]  # the Jupyter server's own start time

        assert srv.stop() == 0, srv.stderr()
        srv.start()
        wait_state(url, alice, "ci2", "Running")
        r = requests.get(lab + "api/status", headers=alice, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["started"] == lab_started  # the same lab, adopted, not launched again

        clock.write_text(str(t0 + 10 * 3600_000 + 1000))  # 18:00:01: the stop schedule
        stopped = wait_state(url, alice, "ci2", "Stopped")
        assert stopped["last_stop_reason"] == "schedule", stopped
        clock.write_text(str(t0 + 23 * 3600_000 + 1000))  # 07:00:01 the next day: start
        again = wait_state(url, alice, "ci2", "Running", after=ci["started_at"] + 1)
        assert requests.get(lab + "api/status", headers=alice, timeout=30).status_code == 200
        r = requests.post(url + "/api/v1/workspaces/default/computes/ci2/stop", json={},
                          headers=alice, timeout=60)
        assert r.status_code == 200, r.text
        assert wait_state(url, alice, "ci2", "Stopped")["started_at"] == again["started_at"]
    finally:
        srv.stop()
