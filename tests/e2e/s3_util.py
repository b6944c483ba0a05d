"""Helpers for the S3 tests: an S3Proxy and an mlws server whose artifacts destination is a bucket
on it (the tests' module fixtures call these)."""

from __future__ import annotations

import pytest

from conftest import MlwsServer
from mlws_testkit.s3proxy import S3Proxy, unavailable_reason

_why = unavailable_reason()
# Every S3 test module sets `pytestmark = needs_s3proxy`.
needs_s3proxy = pytest.mark.skipif(_why is not None, reason=f"S3Proxy unavailable: {_why}")


def s3proxy_fixture(tmp_path_factory, bucket: str):
    """Yields a running S3Proxy holding `bucket`; stops it afterwards."""
    proxy = S3Proxy(tmp_path_factory.mktemp("s3proxy"), buckets=[bucket]).start()
    yield proxy
    proxy.stop()


def s3_server_fixture(s3, tmp_path_factory, bucket: str, prefix: str):
    """Yields an mlws server on s3://bucket/prefix of `s3`; checks it stops cleanly."""
    base = tmp_path_factory.mktemp("mlws-s3")
    srv = MlwsServer(base / "home", log_dir=base, env=s3.env(),
                     extra_args=["--artifacts-destination", f"s3://{bucket}/{prefix}",
                                 "--s3-endpoint-url", s3.endpoint])
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()
