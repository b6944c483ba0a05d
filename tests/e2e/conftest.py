"""Shared fixtures for the end-to-end suite: the REAL mlws binary driven over HTTP on loopback.

* ``MLWS_BIN`` selects the binary (default ``build/release/mlws`` of this repository).
* Every test module gets its own server (``server`` fixture) with a fresh ``--home``; tests that
  need to kill or restart a server start their own with :class:`MlwsServer`.
* Servers listen on 127.0.0.1 on a random free port below 32768 (outside Linux's ephemeral
  range), are stopped with SIGTERM (SIGKILL after 10 s) and their stderr is kept in a file
  next to (not inside) the home folder.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from mlws_testkit import artifacts, compute, pg  # noqa: E402
from mlws_testkit.net import free_port  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MLWS_BIN = REPO_ROOT / "build" / "release" / "mlws"
STARTUP_TIMEOUT_S = 20.0
SHUTDOWN_GRACE_S = 10.0
# The lead may rebuild the binary while the suite runs: wait this long for it to reappear.
BINARY_WAIT_S = 120.0

ML = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def mlws_bin() -> str:
    return os.environ.get("MLWS_BIN", str(DEFAULT_MLWS_BIN))


def wait_for_binary(path: str | None = None) -> str:
    path = path or mlws_bin()
    deadline = time.monotonic() + BINARY_WAIT_S
    while not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"mlws binary not found or not executable: {path} (set MLWS_BIN)")
        time.sleep(0.5)
    return path




if not os.environ.get("MLWS_TEST_ENVIRONMENTS_DIR"):
    _envs_root = tempfile.mkdtemp(prefix="mlws-test-envs-")
    os.environ["MLWS_TEST_ENVIRONMENTS_DIR"] = os.path.join(_envs_root, "envs")
    atexit.register(shutil.rmtree, _envs_root, True)


def environments_args(extra_args) -> list[str]:
    """Every test server builds job environments into one folder ($MLWS_TEST_ENVIRONMENTS_DIR,
    which scripts/test.sh shares between its passes; else one per pytest session): an
    environment such as the curated sklearn one is built once, not once per test. A test that
    names its own --environments-dir keeps it."""
    if "--environments-dir" in extra_args:
        return []
    return ["--environments-dir", os.environ["MLWS_TEST_ENVIRONMENTS_DIR"]]


class MlwsServer:
    """One ``mlws server`` process."""

    def __init__(self, home: Path | str, log_dir: Path | str | None = None, extra_args=(),
                 port: int | None = None, env: dict | None = None):
        self.home = Path(home)
        self.log_dir = Path(log_dir) if log_dir else self.home.parent
        self.extra_args = list(extra_args)
        self.env = dict(env or {})  # extra environment variables for the server process
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.stderr_path = self.log_dir / f"mlws-{self.port}-{uuid.uuid4().hex[:8]}.stderr"
        self.started_at = 0.0
        self.ready_after_s = None  # seconds from spawn to the first GET /health == 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        return [wait_for_binary(), "server", "--host", "127.0.0.1", "--port", str(self.port),
                "--home", str(self.home), *pg.store_args(self.home, self.extra_args),
                *artifacts.server_args(self.home, self.extra_args), *environments_args(self.extra_args),
                *self.extra_args]

    def spawn(self) -> None:
        cmd = self.command()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stderr = open(self.stderr_path, "ab")  # noqa: SIM115 (kept by the child)
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env={**os.environ, **artifacts.server_env(self.extra_args),
                                          **compute.server_env(), **self.env})
        stderr.close()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_S, poll_s: float = 0.05) -> None:
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlws exited with code {self.proc.returncode} during "
                                   f"startup:\n{self.stderr()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    self.ready_after_s = time.monotonic() - self.started_at
                    return
            except requests.RequestException:
                pass
            time.sleep(poll_s)
        self.kill()
        raise RuntimeError(f"mlws did not answer GET /health with 200 within {timeout:.0f} s:\n"
                           f"{self.stderr()}")

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> "MlwsServer":
        for attempt in range(3):
            self.spawn()
            try:
                self.wait_ready(timeout)
                compute.attach(self.url)  # MLWS_TEST_COMPUTE=slurm: jobs go to Slurm
                return self
            except RuntimeError:
                # Lost a race for the port: try another one.
                if attempt < 2 and "cannot listen" in self.stderr():
                    self.port = free_port()
                    continue
                raise
        return self

    def terminate(self, sig=signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float = SHUTDOWN_GRACE_S) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-20000:]
        except OSError:
            return "<no stderr captured>"

    def stderr_lines(self) -> list[str]:
        try:
            return self.stderr_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS line")


class Api:
    """Tiny REST helper bound to a server URL and (optionally) a workspace prefix."""

    def __init__(self, url: str, workspace: str | None = None, session=None):
        self.url = url
        self.workspace = workspace
        self.s = session or requests.Session()

    def prefix(self) -> str:
        return self.url + (f"/workspaces/{self.workspace}" if self.workspace else "")

    def in_workspace(self, workspace: str | None) -> "Api":
        return Api(self.url, workspace, self.s)

    # raw calls (return the Response)
    def post(self, path: str, body=None, **kw) -> requests.Response:
        return self.s.post(self.prefix() + ML + path, json=body, timeout=30, **kw)

    def get(self, path: str, params=None, **kw) -> requests.Response:
        return self.s.get(self.prefix() + ML + path, params=params, timeout=30, **kw)

    def post_raw(self, path: str, data: bytes | str,
                 content_type: str = "application/json") -> requests.Response:
        return self.s.post(self.prefix() + ML + path, data=data,
                           headers={"Content-Type": content_type}, timeout=30)

    # helpers that assert success
    def ok(self, resp: requests.Response) -> dict:
        assert resp.status_code == 200, f"{resp.request.method} {resp.url}: {resp.status_code} " \
                                        f"{resp.text[:500]}"
        return strict_json(resp)

    def create_experiment(self, name: str | None = None, **extra) -> str:
        body = {"name": name or unique("exp"), **extra}
        return self.ok(self.post("/experiments/create", body))["experiment_id"]

    def create_run(self, experiment_id: str = "0", **extra) -> str:
        body = {"experiment_id": experiment_id, **extra}
        return self.ok(self.post("/runs/create", body))["run"]["info"]["run_id"]

    def get_run(self, run_id: str) -> dict:
        return self.ok(self.get("/runs/get", {"run_id": run_id}))["run"]

    def log_batch(self, run_id: str, metrics=(), params=(), tags=()) -> dict:
        body = {"run_id": run_id, "metrics": list(metrics), "params": list(params),
                "tags": list(tags)}
        return self.ok(self.post("/runs/log-batch", body))

    def history(self, run_id: str, key: str) -> list[dict]:
        """Every point, following next_page_token (a page holds at most 100,000 points)."""
        out, token = [], None
        while True:
            params = {"run_id": run_id, "metric_key": key}
            if token:
                params["page_token"] = token
            page = self.ok(self.get("/metrics/get-history", params))
            out += page.get("metrics", [])
            token = page.get("next_page_token")
            if not token:
                return out

    def experiments(self, view: str = "ALL") -> list[dict]:
        out, token = [], None
        while True:
            body = {"max_results": 1000, "view_type": view}
            if token:
                body["page_token"] = token
            page = self.ok(self.post("/experiments/search", body))
            out += page.get("experiments", [])
            token = page.get("next_page_token")
            if not token:
                return out

    def runs(self, experiment_ids, view: str = "ALL") -> list[dict]:
        out, token = [], None
        while True:
            body = {"experiment_ids": list(experiment_ids), "run_view_type": view,
                    "max_results": 1000}
            if token:
                body["page_token"] = token
            page = self.ok(self.post("/runs/search", body))
            out += page.get("runs", [])
            token = page.get("next_page_token")
            if not token:
                return out


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name} in response")


def strict_json(resp: requests.Response):
    """Parses a response body as strict JSON (bare NaN / Infinity tokens are errors)."""
    return json.loads(resp.text, parse_constant=_reject_constant)


def assert_error(resp: requests.Response, status: int, codes, *message_parts: str) -> dict:
    """Asserts an MLflow error response: HTTP status, error_code (one of ``codes``) and that the
    message contains every ``message_parts`` string."""
    if isinstance(codes, str):
        codes = (codes,)
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, got {resp.status_code} "
        f"{resp.text[:500]}")
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = strict_json(resp)
    assert set(body) >= {"error_code", "message"}, body
    assert body["error_code"] in codes, f"expected error_code in {codes}: {body}"
    assert isinstance(body["message"], str) and body["message"], body
    for part in message_parts:
        assert part in body["message"], f"{part!r} not in message {body['message']!r}"
    return body


def unique(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def health_ok(url: str) -> None:
    r = requests.get(url + "/health", timeout=10)
    assert r.status_code == 200 and r.text == "OK", (r.status_code, r.text)


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> MlwsServer:
    base = tmp_path_factory.mktemp("mlws-e2e")
    srv = MlwsServer(base / "home", log_dir=base)
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    code = srv.stop()
    assert code == 0, f"mlws exited with {code} after SIGTERM:\n{srv.stderr()}"


@pytest.fixture(scope="module")
def api(server) -> Api:
    return Api(server.url)


@pytest.fixture
def spawn(tmp_path):
    """Factory for extra servers owned by one test; all are stopped at the end."""
    started: list[MlwsServer] = []

    def _spawn(home=None, start=True, **kw) -> MlwsServer:
        srv = MlwsServer(home or (tmp_path / f"home-{len(started)}"), log_dir=tmp_path, **kw)
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield _spawn
    for srv in started:
        srv.stop()


@pytest.fixture
def cert(tmp_path):
    """A self-signed certificate for 127.0.0.1: (server.crt, server.key) for --tls-cert/--tls-key."""
    crt, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(crt)], check=True, capture_output=True,
                   timeout=60)
    return crt, key


def pytest_report_header(config):
    return f"mlws binary: {mlws_bin()}; metadata backend: {pg.backend()}; " \
           f"artifacts: {artifacts.mode()}; compute: {compute.mode()}"
