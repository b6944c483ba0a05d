"""S3Proxy for tests: scripts/s3proxy.sh on a free port below 32768 (see that script)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .net import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "s3proxy.sh"
ACCESS_KEY = "mlws-test-key"
SECRET_KEY = "mlws-test-secret"
START_TIMEOUT_S = 90.0


def unavailable_reason() -> str | None:
    """Why S3Proxy cannot run here (java or the jar missing), or None."""
    r = subprocess.run(["bash", str(SCRIPT), "jar"], capture_output=True, text=True)
    return None if r.returncode == 0 else (r.stderr.strip() or "S3Proxy is not installed")


class S3Proxy:
    def __init__(self, work_dir: Path, buckets=("mlws-e2e",)):
        self.work_dir = Path(work_dir)
        self.buckets = list(buckets)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        """The AWS_* variables a client of this server needs."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": "us-east-1"}

    def start(self) -> "S3Proxy":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.work_dir / "s3proxy.log", "ab")  # noqa: SIM115 (kept by the child)
        self.proc = subprocess.Popen(
            ["bash", str(SCRIPT), "run", str(self.work_dir), str(self.port), *self.buckets],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:  # ready when the port accepts connections
            if self.proc.poll() is not None:
                raise RuntimeError("S3Proxy exited at start:\n" + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"S3Proxy did not listen within {START_TIMEOUT_S:.0f} s:\n" + self.log())

    def log(self) -> str:
        p = self.work_dir / "s3proxy.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def boto3_client(self):
        import boto3
        from botocore.config import Config
        # S3Proxy 2.6 rejects the CRC32 checksum headers newer boto3 sends by default.
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(request_checksum_calculation="when_required",
                                          response_checksum_validation="when_required"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
