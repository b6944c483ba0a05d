"""Fixtures for the MLflow client compatibility suite.

The suite drives the real, unmodified MLflow Python client (2.x or 3.x, whichever venv runs
pytest) against a live tracking server:

* default: the mlws binary (``MLWS_BIN``, default ``build/release/mlws``) is started once per
  test session on a free port with a fresh ``--home`` directory;
* ``COMPAT_TARGET_URL=http://host:port``: an already running server is used instead (mlws or a
  real ``mlflow server``, which is how the tests themselves are validated).

Most tests run twice: against the root tracking URI (workspace ``default``) and against
``<url>/workspaces/team-a``. The workspace variant is only generated when the server has the
workspace API (``POST /api/v1/workspaces``); a real MLflow server answers 404 there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

# Fail fast instead of letting the client retry a 5xx for minutes (the defaults are 5 retries
# with exponential backoff factor 2). Must be set before the client builds its HTTP session.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
# Traces must be exported synchronously so a test can read them back right after logging.
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
# No telemetry / version nagging from the 3.x client.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# The mlws server this suite starts (it inherits this environment, and may start before any
# test module is imported) delivers webhooks to the test's receiver on loopback.
os.environ.setdefault("MLWS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

import mlflow  # noqa: E402  (after the environment above)
from mlflow import MlflowClient  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from mlws_testkit import artifacts, pg  # noqa: E402
from mlws_testkit.net import free_port as _free_port  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MLWS_BIN = REPO_ROOT / "build" / "release" / "mlws"
WORKSPACE = "team-a"
STARTUP_TIMEOUT_S = 20.0
SHUTDOWN_GRACE_S = 10.0

MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])


# --------------------------------------------------------------------------------------------
# Server lifecycle
# --------------------------------------------------------------------------------------------


class _ServerProcess:
    """An mlws process started for this test session."""

    def __init__(self, binary: str):
        self.binary = binary
        self.home = tempfile.mkdtemp(prefix="mlws-compat-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr_path = os.path.join(self.home, "server.stderr")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        if not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            raise RuntimeError(
                f"mlws binary not found or not executable: {self.binary} "
                "(set MLWS_BIN, or COMPAT_TARGET_URL to test a running server)"
            )
        cmd = [
            self.binary, "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--home", self.home,
            *pg.store_args(self.home),  # MLWS_TEST_BACKEND=postgres: a fresh PostgreSQL database
            *artifacts.server_args(self.home),  # MLWS_TEST_ARTIFACTS=s3: a prefix on S3Proxy
        ]  # fmt: skip
        stderr = open(self.stderr_path, "wb")  # noqa: SIM115 (kept open for the child)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            env={**os.environ, **artifacts.server_env()},
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"mlws exited with code {self.proc.returncode} during startup:\n"
                    f"{self._stderr()}"
                )
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"mlws did not answer GET /health with 200 within {STARTUP_TIMEOUT_S:.0f} s:\n"
            f"{self._stderr()}"
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=SHUTDOWN_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _stderr(self) -> str:
        try:
            return Path(self.stderr_path).read_text(errors="replace")[-8000:]
        except OSError:
            return "<no stderr captured>"




_session_state: dict = {}


def _external_url() -> str | None:
    url = os.environ.get("COMPAT_TARGET_URL", "").strip().rstrip("/")
    return url or None


def _server_url() -> str:
    """Base URL of the server under test; starts mlws on first use."""
    if "url" not in _session_state:
        external = _external_url()
        if external:
            _session_state["url"] = external
        else:
            server = _ServerProcess(os.environ.get("MLWS_BIN", str(DEFAULT_MLWS_BIN)))
            server.start()
            _session_state["server"] = server
            _session_state["url"] = server.url
    return _session_state["url"]


def ensure_workspace(base_url: str, name: str) -> bool:
    """Creates workspace ``name``; returns False if the server has no workspace API (404)."""
    resp = requests.post(f"{base_url}/api/v1/workspaces", json={"name": name}, timeout=30)
    if resp.status_code == 404:
        return False
    if resp.status_code in (200, 201):
        assert resp.json()["workspace"]["name"] == name, resp.text
        return True
    # Already created (by an earlier session against the same server).
    try:
        code = resp.json().get("error_code")
    except ValueError:
        code = None
    assert code in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"), (
        f"POST /api/v1/workspaces -> {resp.status_code} {resp.text}"
    )
    return True


def workspaces_supported() -> bool:
    if "workspaces" not in _session_state:
        try:
            _session_state["workspaces"] = ensure_workspace(_server_url(), WORKSPACE)
        except RuntimeError as e:  # mlws could not start: let the fixtures report it
            _session_state["startup_error"] = str(e)
            _session_state["workspaces"] = True
    return _session_state["workspaces"]


def pytest_generate_tests(metafunc):
    if "tracking_uri" in metafunc.fixturenames:
        variants = ["root", WORKSPACE] if workspaces_supported() else ["root"]
        metafunc.parametrize("tracking_uri", variants, indirect=True, ids=variants)


def pytest_sessionfinish(session, exitstatus):
    server = _session_state.pop("server", None)
    if server is not None:
        server.stop()


def pytest_report_header(config):
    target = _external_url() or f"mlws ({os.environ.get('MLWS_BIN', DEFAULT_MLWS_BIN)})"
    return (f"mlflow client {mlflow.__version__}; server under test: {target}; "
            f"metadata backend: {pg.backend()}; artifacts: {artifacts.mode()}")


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_url() -> str:
    if "startup_error" in _session_state:
        pytest.fail(_session_state["startup_error"], pytrace=False)
    try:
        return _server_url()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def has_workspaces(server_url) -> bool:
    return workspaces_supported()


@pytest.fixture(scope="session")
def reference_mlflow_version(server_url, has_workspaces) -> str | None:
    """The version of a real MLflow server under test; None when the target is mlws.

    mlws is recognised by its workspace API (a real MLflow server answers 404 there).
    """
    if "server" in _session_state or has_workspaces:
        return None
    return requests.get(f"{server_url}/version", timeout=10).text.strip()


@pytest.fixture
def skip_if_reference_2x_lacks(reference_mlflow_version):
    """skip_if_reference_2x_lacks(reason): skip a 3.x-client test the MLflow 2.x server can't serve.

    Only when the client is 3.x and the target is a real MLflow 2.x server; against mlws the
    test runs (mlws is expected to serve the newer routes the 3.x client calls).
    """

    def check(reason: str) -> None:
        if MLFLOW_MAJOR >= 3 and (reference_mlflow_version or "").startswith("2."):
            pytest.skip(f"MLflow {reference_mlflow_version} server: {reason}")

    return check


def workspace_uri(server_url: str, workspace: str) -> str:
    return f"{server_url}/workspaces/{workspace}"


@pytest.fixture
def tracking_uri(request, server_url):
    """The tracking URI of one variant: the root URI or the ``team-a`` workspace prefix.

    Also makes it the global tracking URI (the artifact repositories resolve
    ``mlflow-artifacts:/`` URIs against the global URI) and resets the fluent API's state
    (active runs, active experiment) afterwards.
    """
    variant = getattr(request, "param", "root")
    uri = server_url if variant == "root" else workspace_uri(server_url, variant)
    with use_tracking_uri(uri):
        yield uri


class use_tracking_uri:  # noqa: N801 (used like a function)
    """Context manager: global tracking URI = uri; fluent state is reset on exit."""

    def __init__(self, uri: str):
        self.uri = uri

    def __enter__(self):
        reset_fluent_state()
        self.previous = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(self.uri)
        return self.uri

    def __exit__(self, *exc):
        reset_fluent_state()
        mlflow.set_tracking_uri(self.previous)
        return False


def reset_fluent_state() -> None:
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_RUN_ID", None)


@pytest.fixture
def client(tracking_uri) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri)


@pytest.fixture
def experiment_id(client) -> str:
    """A fresh, uniquely named experiment."""
    return client.create_experiment(unique_name("exp"))


@pytest.fixture
def fluent_experiment(client, experiment_id) -> str:
    """A fresh experiment made the fluent API's active experiment."""
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def unique_name(prefix: str = "compat") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def now_ms() -> int:
    return int(time.time() * 1000)


def error_code(excinfo) -> str:
    """The error code of an MlflowException caught with pytest.raises."""
    return excinfo.value.error_code


def metric_history(client: MlflowClient, run_id: str, key: str) -> list[tuple]:
    """(step, timestamp, value) of every point of a metric, in the order the server returned."""
    return [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]
