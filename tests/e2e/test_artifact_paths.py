"""Artifact proxy: path traversal is refused (400) with nothing written, read or deleted
outside the artifact root; artifacts are isolated per workspace; a large upload is streamed to
disk (not buffered in memory) and downloads byte-exact.

Traversal requests are sent with ``http.client`` so the request target reaches the server
exactly as written (``requests``/urllib3 would normalise ``..`` segments client-side).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ARTIFACTS, MlwsServer, assert_error, health_ok, strict_json, unique

PATH_ERRORS = ("INVALID_PARAMETER_VALUE", "BAD_REQUEST")
SENTINEL = b"SENTINEL-must-never-be-served-overwritten-or-deleted\n"


# ---------------------------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """A server whose artifact root is <base>/store/artifacts, with sentinel files planted at
    every place a traversal from the root (or from a workspace folder inside it) could reach."""
    base = tmp_path_factory.mktemp("mlws-art")
    root = base / "store" / "artifacts"
    root.mkdir(parents=True)
    sentinels = [base / "x", base / "store" / "x", root / "x", base / "passwd",
                 base / "store" / "passwd", root / "passwd"]
    for s in sentinels:
        s.write_bytes(SENTINEL)
    srv = MlwsServer(base / "home", log_dir=base / "logs",
                     extra_args=["--artifacts-destination", f"file://{root}"])
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield {"base": base, "root": root, "server": srv, "sentinels": sentinels}
    assert srv.stop() == 0, srv.stderr()


@pytest.fixture(scope="module")
def server(layout):  # overrides conftest's module server: this module uses its own layout
    return layout["server"]


@pytest.fixture(scope="module")
def workspace(layout):
    name = unique("art")
    r = requests.post(layout["server"].url + "/api/v1/workspaces", json={"name": name},
                      timeout=10)
    assert r.status_code == 201, r.text
    return name


def tree(base: Path) -> dict:
    """Every file and folder under base (except the database and logs) with size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        if rel.startswith("logs"):
            continue
        for d in dirnames:
            out[os.path.join(rel, d) + "/"] = None
        for f in filenames:
            if rel == "home" and f.startswith("mlws.db"):
                continue
            st = os.stat(os.path.join(dirpath, f))
            out[os.path.join(rel, f)] = (st.st_size, st.st_mtime_ns)
    return out


def raw(server: MlwsServer, method: str, target: str, body: bytes | None = None):
    """Sends the request target byte-for-byte; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(len(body or b"")))
        if body is not None:
            conn.putheader("Content-Type", "application/octet-stream")
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class FakeResp:
    """Adapter so assert_error can check raw responses."""

    def __init__(self, method, target, status, headers, body):
        self.status_code, self.headers, self.content = status, headers, body
        self.text = body.decode(errors="replace")
        self.request = type("Req", (), {"method": method, "url": target})()


def assert_refused(layout, method, target, body=None):
    before = tree(layout["base"])
    status, headers, data = raw(layout["server"], method, target, body)
    assert SENTINEL not in data, f"{method} {target} served a file outside the root"
    assert b"root:" not in data, f"{method} {target} served /etc/passwd"
    assert_error(FakeResp(method, target, status, headers, data), 400, PATH_ERRORS)
    after = tree(layout["base"])
    assert after == before, f"{method} {target} changed files: " \
        f"{sorted(set(after.items()) ^ set(before.items()))}"
    for s in layout["sentinels"]:
        assert s.read_bytes() == SENTINEL, f"{s} was modified"
    health_ok(layout["server"].url)


TRAVERSALS = [
    "../x",
    "../../x",
    "a/../../x",
    "a/b/../../../x",
    "%2e%2e/x",
    "%2E%2E/%2E%2E/x",
    "a/%2e%2e/%2e%2e/x",
    "..%2fx",
    "..%2F..%2Fx",
    "a%2F..%2F..%2Fx",
    "..",
    "%2e%2e",
    "//etc/passwd",
    "%2Fetc%2Fpasswd",
    "%2F..%2Fx",
    "..\\x",
    "a\\..\\..\\x",
    "a%5C..%5C..%5Cx",
    "a%00b",
    "x%00.txt",
    "..%00/x",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_traversal_refused(layout, method, path):
    body = b"evil payload\n" if method == "PUT" else None
    assert_refused(layout, method, f"{ARTIFACTS}/{path}", body)


@pytest.mark.parametrize("path", ["../x", "..%2F..%2Fx", "%2e%2e/1/x", "//etc/passwd", "a%00b"])
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_traversal_refused_in_workspace(layout, workspace, method, path):
    body = b"evil payload\n" if method == "PUT" else None
    assert_refused(layout, method, f"/workspaces/{workspace}{ARTIFACTS}/{path}", body)


@pytest.mark.parametrize("path", ["../x", "..%2F..%2Fx", "//etc/passwd"])
def test_traversal_refused_under_ajax_api(layout, path):
    assert_refused(layout, "PUT", f"/ajax-api/2.0/mlflow-artifacts/artifacts/{path}", b"evil")
    assert_refused(layout, "GET", f"/ajax-api/2.0/mlflow-artifacts/artifacts/{path}")


LIST_TRAVERSALS = ["../", "..", "../..", "a/../..", "%2e%2e", "%2e%2e%2f%2e%2e", "/etc",
                   "%2Fetc", "//etc", "..%5C", "a%5C..%5C..", "a%00", "..%2F"]


@pytest.mark.parametrize("q", LIST_TRAVERSALS)
def test_list_traversal_refused(layout, q):
    assert_refused(layout, "GET", f"{ARTIFACTS}?path={q}")


@pytest.mark.parametrize("q", ["../", "%2Fetc"])
def test_list_traversal_refused_in_workspace(layout, workspace, q):
    assert_refused(layout, "GET", f"/workspaces/{workspace}{ARTIFACTS}?path={q}")


def test_traversal_control(layout):
    """Positive control: the same request shapes with safe paths succeed and stay inside the
    root, so the refusals above are about the paths, not the requests."""
    srv, root = layout["server"], layout["root"]
    status, _, data = raw(srv, "PUT", f"{ARTIFACTS}/ctl/a%20b/x", b"hello")
    assert status == 200 and strict_json_bytes(data) == {}
    status, _, data = raw(srv, "GET", f"{ARTIFACTS}/ctl/a%20b/x")
    assert (status, data) == (200, b"hello")
    status, _, data = raw(srv, "GET", f"{ARTIFACTS}?path=ctl")
    assert status == 200 and strict_json_bytes(data) == {
        "files": [{"path": "a b", "is_dir": True}]}
    stored = [p for p in root.rglob("x") if p.read_bytes() == b"hello"]
    assert len(stored) == 1 and root in stored[0].parents
    status, _, data = raw(srv, "DELETE", f"{ARTIFACTS}/ctl/a%20b/x")
    assert status == 200
    status, _, _ = raw(srv, "GET", f"{ARTIFACTS}/ctl/a%20b/x")
    assert status == 404


def strict_json_bytes(data: bytes):
    import json

    return json.loads(data.decode(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


# ---------------------------------------------------------------------------------------------
# workspace isolation
# ---------------------------------------------------------------------------------------------


def _art(server, ws, path):
    prefix = f"/workspaces/{ws}" if ws else ""
    return f"{server.url}{prefix}{ARTIFACTS}/{path}"


def _list(server, ws, path):
    prefix = f"/workspaces/{ws}" if ws else ""
    r = requests.get(f"{server.url}{prefix}{ARTIFACTS}", params={"path": path}, timeout=10)
    assert r.status_code == 200, r.text
    return strict_json(r).get("files", [])


def test_workspace_isolation(layout, workspace):
    srv = layout["server"]
    tag = unique("iso")
    # Only in the workspace.
    r = requests.put(_art(srv, workspace, f"{tag}/only-ws.txt"), data=b"ws-data", timeout=10)
    assert r.status_code == 200, r.text
    # Only in the root (default) workspace.
    r = requests.put(_art(srv, None, f"{tag}/only-root.txt"), data=b"root-data", timeout=10)
    assert r.status_code == 200, r.text
    # The same path in both, different contents.
    assert requests.put(_art(srv, workspace, f"{tag}/both.txt"), data=b"B-ws",
                        timeout=10).status_code == 200
    assert requests.put(_art(srv, None, f"{tag}/both.txt"), data=b"B-root",
                        timeout=10).status_code == 200

    assert requests.get(_art(srv, workspace, f"{tag}/only-ws.txt"), timeout=10).content == \
        b"ws-data"
    assert_error(requests.get(_art(srv, None, f"{tag}/only-ws.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(requests.get(_art(srv, workspace, f"{tag}/only-root.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    # /workspaces/default is the root workspace.
    assert requests.get(_art(srv, "default", f"{tag}/only-root.txt"), timeout=10).content == \
        b"root-data"
    assert requests.get(_art(srv, workspace, f"{tag}/both.txt"), timeout=10).content == b"B-ws"
    assert requests.get(_art(srv, None, f"{tag}/both.txt"), timeout=10).content == b"B-root"

    assert sorted(f["path"] for f in _list(srv, workspace, tag)) == ["both.txt", "only-ws.txt"]
    assert sorted(f["path"] for f in _list(srv, None, tag)) == ["both.txt", "only-root.txt"]
    ws_top = {f["path"] for f in _list(srv, workspace, "")}
    root_top = {f["path"] for f in _list(srv, None, "")}
    assert tag in ws_top and tag in root_top

    # Deleting in the workspace leaves the root's copy alone, and vice versa.
    assert requests.delete(_art(srv, workspace, f"{tag}/both.txt"), timeout=10).status_code == 200
    assert requests.get(_art(srv, None, f"{tag}/both.txt"), timeout=10).content == b"B-root"
    assert_error(requests.get(_art(srv, workspace, f"{tag}/both.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(requests.delete(_art(srv, None, f"{tag}/only-ws.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert requests.get(_art(srv, workspace, f"{tag}/only-ws.txt"), timeout=10).content == \
        b"ws-data"


def test_unknown_workspace_artifacts_404(layout):
    srv = layout["server"]
    before = tree(layout["base"])
    ghost = unique("ghost")
    assert_error(requests.put(_art(srv, ghost, "f.txt"), data=b"x", timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(requests.get(_art(srv, ghost, "f.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    r = requests.get(f"{srv.url}/workspaces/{ghost}{ARTIFACTS}", params={"path": ""}, timeout=10)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    assert tree(layout["base"]) == before


def test_deleted_workspace_takes_its_artifacts(layout):
    srv = layout["server"]
    ws = unique("artdel")
    assert requests.post(srv.url + "/api/v1/workspaces", json={"name": ws},
                         timeout=10).status_code == 201
    assert requests.put(_art(srv, ws, "d/f.txt"), data=b"gone soon", timeout=10).status_code == 200
    assert requests.delete(f"{srv.url}/api/v1/workspaces/{ws}", timeout=10).status_code == 200
    assert requests.post(srv.url + "/api/v1/workspaces", json={"name": ws},
                         timeout=10).status_code == 201
    assert _list(srv, ws, "") == []
    assert_error(requests.get(_art(srv, ws, "d/f.txt"), timeout=10), 404,
                 "RESOURCE_DOES_NOT_EXIST")


# ---------------------------------------------------------------------------------------------
# large streamed upload
# ---------------------------------------------------------------------------------------------

CHUNK = 1 << 20
N_CHUNKS = 50
RSS_GROWTH_LIMIT_KB = 40 * 1024


class RssSampler(threading.Thread):
    def __init__(self, server: MlwsServer, period_s: float = 0.005):
        super().__init__(daemon=True)
        self.server, self.period_s = server, period_s
        self.samples: list[int] = []
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.samples.append(self.server.rss_kb())
            except (OSError, RuntimeError):
                return
            time.sleep(self.period_s)

    def finish(self) -> list[int]:
        self.stop_event.set()
        self.join(5)
        return self.samples


def test_large_streamed_upload_not_buffered(layout):
    srv = layout["server"]
    rng = random.Random(20240601)
    block = rng.randbytes(CHUNK)
    sha = hashlib.sha256()
    sent = [0]

    def body():
        for i in range(N_CHUNKS):
            chunk = i.to_bytes(4, "big") + block[4:]
            sha.update(chunk)
            sent[0] += len(chunk)
            yield chunk
            time.sleep(0.004)  # let the sampler see the server mid-upload

    name = f"{unique('big')}/blob.bin"
    baseline = srv.rss_kb()
    sampler = RssSampler(srv)
    sampler.start()
    r = requests.put(_art(srv, None, name), data=body(), timeout=120)
    samples = sampler.finish()
    assert r.status_code == 200, r.text
    assert strict_json(r) == {}
    assert sent[0] == CHUNK * N_CHUNKS
    assert len(samples) >= 10, "RSS was not sampled during the upload"
    growth = max(samples) - baseline
    assert growth < RSS_GROWTH_LIMIT_KB, (
        f"server RSS grew by {growth} kB during a {sent[0] >> 20} MiB upload: it is buffering "
        f"the body in memory")

    # Listed with its exact size.
    folder, fname = name.split("/")
    assert _list(srv, None, folder) == [{"path": fname, "is_dir": False,
                                         "file_size": CHUNK * N_CHUNKS}]

    # Downloads byte-exact, streamed.
    baseline = srv.rss_kb()
    sampler = RssSampler(srv)
    sampler.start()
    down = hashlib.sha256()
    got = 0
    with requests.get(_art(srv, None, name), stream=True, timeout=120) as resp:
        assert resp.status_code == 200
        assert int(resp.headers["Content-Length"]) == CHUNK * N_CHUNKS
        for piece in resp.iter_content(CHUNK):
            down.update(piece)
            got += len(piece)
            time.sleep(0.001)
    samples = sampler.finish()
    assert got == CHUNK * N_CHUNKS
    assert down.hexdigest() == sha.hexdigest()
    assert max(samples) - baseline < RSS_GROWTH_LIMIT_KB, "download buffered in memory"
    # Nothing left behind in the staging area.
    staging = layout["root"] / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []
