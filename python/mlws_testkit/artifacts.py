"""Where the test servers keep run artifacts: the home folder (default) or one shared S3Proxy.

* ``MLWS_TEST_ARTIFACTS=s3`` gives every test server of tests/e2e and tests/compat
  ``--artifacts-destination s3://mlws-test/<unique prefix>`` on one S3Proxy started for the test
  process (scripts/s3proxy.sh), with the AWS_* variables the server needs (:func:`server_args`,
  :func:`server_env`); anything else keeps ``file://<home>/artifacts``.
* A restarted home keeps its prefix, so its artifacts survive the restart as on a folder.
* Tests that read the server's artifact folder directly either read the bucket
  (:func:`s3_client`) or are local-only (:data:`local_only`).
"""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
from pathlib import Path

from .s3proxy import S3Proxy, unavailable_reason

BUCKET = "mlws-test"

_proxy: S3Proxy | None = None
_prefixes: dict[str, str] = {}  # server home -> prefix in BUCKET


def mode() -> str:
    return os.environ.get("MLWS_TEST_ARTIFACTS", "local")


def on_s3() -> bool:
    return mode() == "s3"


def local_only(reason: str):
    """A pytest mark: skip this test when the artifacts are on S3, saying why."""
    import pytest

    return pytest.mark.skipif(on_s3(), reason=f"local artifact folder only: {reason}")


def proxy() -> S3Proxy:
    """The process's shared S3Proxy (started on first use, stopped at exit)."""
    global _proxy
    if _proxy is None:
        why = unavailable_reason()
        if why is not None:
            raise RuntimeError(f"MLWS_TEST_ARTIFACTS=s3 but S3Proxy cannot run: {why}")
        _proxy = S3Proxy(Path(tempfile.mkdtemp(prefix="mlws-s3proxy-")), buckets=[BUCKET])
        _proxy.start()
        atexit.register(_proxy.stop)
    return _proxy


def _wants_own_store(extra_args) -> bool:
    return any(a in extra_args for a in ("--artifacts-destination", "--default-artifact-root"))


def server_args(home, extra_args=()) -> list[str]:
    """The artifact flags for a test server with this home: none locally or when the test chose
    its own destination, else its own prefix on the shared bucket."""
    if not on_s3() or _wants_own_store(extra_args):
        return []
    key = str(Path(home).resolve())
    if key not in _prefixes:
        _prefixes[key] = "t-" + uuid.uuid4().hex[:16]
    return ["--artifacts-destination", f"s3://{BUCKET}/{_prefixes[key]}",
            "--s3-endpoint-url", proxy().endpoint]


def server_env(extra_args=()) -> dict:
    """The AWS_* variables for a test server (empty when it keeps a local folder)."""
    if not on_s3() or _wants_own_store(extra_args):
        return {}
    return proxy().env()


def prefix_of(home) -> str:
    """The prefix in BUCKET of the server with this home (S3 mode only)."""
    return _prefixes[str(Path(home).resolve())]


def s3_client():
    """A boto3 client of the shared S3Proxy."""
    return proxy().boto3_client()


def list_keys(home, under: str = "") -> list[str]:
    """Keys (relative to the server's prefix) of the objects under ``under`` in its bucket."""
    base = f"{prefix_of(home)}/{under}".rstrip("/") + "/"
    out, token = [], None
    c = s3_client()
    while True:
        kw = {"Bucket": BUCKET, "Prefix": base, **({"ContinuationToken": token} if token else {})}
        page = c.list_objects_v2(**kw)
        out += [o["Key"][len(prefix_of(home)) + 1:] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return out
        token = page["NextContinuationToken"]


class BucketPath:
    """The few pathlib operations tests use on a server's artifact folder, on its bucket."""

    def __init__(self, key: str):
        self.key = key.strip("/")

    def __truediv__(self, part) -> "BucketPath":
        return BucketPath(f"{self.key}/{part}")

    def __str__(self) -> str:
        return f"s3://{BUCKET}/{self.key}"

    def __eq__(self, other) -> bool:
        return isinstance(other, BucketPath) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        pass  # a bucket has no folders

    def write_bytes(self, data: bytes) -> None:
        s3_client().put_object(Bucket=BUCKET, Key=self.key, Body=data)

    def write_text(self, text: str) -> None:
        self.write_bytes(text.encode())

    def read_bytes(self) -> bytes:
        try:
            return s3_client().get_object(Bucket=BUCKET, Key=self.key)["Body"].read()
        except s3_client().exceptions.NoSuchKey:
            raise FileNotFoundError(str(self)) from None

    def read_text(self) -> str:
        return self.read_bytes().decode()

    def exists(self) -> bool:
        """True for an object, or a "folder" some object is under."""
        page = s3_client().list_objects_v2(Bucket=BUCKET, Prefix=self.key, MaxKeys=50)
        return any(o["Key"] == self.key or o["Key"].startswith(self.key + "/")
                   for o in page.get("Contents", []))


def artifact_root(home):
    """The server's artifact root: ``<home>/artifacts`` (a Path), or its prefix in the bucket
    (a :class:`BucketPath`) with MLWS_TEST_ARTIFACTS=s3."""
    if on_s3():
        return BucketPath(prefix_of(home))
    return Path(home) / "artifacts"
