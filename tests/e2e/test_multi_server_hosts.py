"""Two servers on one PostgreSQL database that count as two hosts ($MLWS_SERVER_HOST; on one
machine for the test): a dead server's running job is not re-adopted by a server of another host,
which cannot reach its process, but failed truthfully once the lease has expired
(docs/scale-out.md "Several servers on one database")."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from conftest import MlwsServer
from endpoints_util import wait_until
from mlws_testkit import pg
from test_doctor import doctor

pytestmark = pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")

LEASE_S = 2


def server_on(host: str, tmp_path, db_uri: str) -> MlwsServer:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir(exist_ok=True)
    env = {"MLWS_SERVER_HOST": host, "MLWS_JOB_LEASE_S": str(LEASE_S),
           # The job writes its pid into the test's folder: unsandboxed.
           "MLWS_JOB_BWRAP": "/nonexistent/bwrap"}
    args = ["--backend-store-uri", db_uri, "--artifacts-destination", f"file://{artifacts}",
            "--allow-unsandboxed-jobs", "--advertise-url", f"http://{host}.example:5000"]
    return MlwsServer(tmp_path / f"home-{host}", log_dir=tmp_path, extra_args=args,
                      env=env).start()


def get_job(url: str, name: str) -> dict:
    r = requests.get(f"{url}/api/v1/workspaces/default/jobs/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_dead_servers_job_on_another_host_fails_truthfully_after_its_lease(tmp_path):
    db = pg.cluster().new_database()
    a = server_on("host-a", tmp_path, db)
    b = server_on("host-b", tmp_path, db)
    pid = None
    try:
        # Both servers are listed under the host and URL each gave.
        p = doctor("--home", str(tmp_path / "doctor-home"), "--backend-store-uri", db)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "host-a:" in p.stdout and "at http://host-a.example:5000:" in p.stdout, p.stdout
        assert "host-b:" in p.stdout and "at http://host-b.example:5000:" in p.stdout, p.stdout

        pid_file = tmp_path / "job.pid"
        cmd = f"echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; exec sleep 300"
        r = requests.post(f"{a.url}/api/v1/workspaces/default/jobs", timeout=30,
                          json={"command": cmd})
        assert r.status_code == 201, r.text
        name = r.json()["name"]
        wait_until(pid_file.exists, 60, "the job's process to start on A")
        pid = int(pid_file.read_text())
        wait_until(lambda: get_job(b.url, name)["status"] == "Running", 30, "Running on B too")

        killed_at = time.time()
        a.kill()  # SIGKILL: A's lease on the job is left to expire
        wait_until(lambda: get_job(b.url, name)["status"] == "Failed", 60,
                   "B to take the job over once A's lease expired")
        job = get_job(b.url, name)
        # Not before the lease could have run out: another host's server is never presumed dead.
        assert time.time() - killed_at >= LEASE_S * 0.9
        error = job["error"] or ""
        assert "host-a:" in error and "its lease on the job expired" in error, job
        assert "ran on host host-a, which server host-b:" in error, job
        assert "cannot reach, so it was not started again" in error, job
        # The process itself was left alone: B cannot see it, so it neither killed nor
        # restarted it.
        assert os.path.exists(f"/proc/{pid}")
        assert pid_file.read_text().strip() == str(pid)
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        a.kill()
        b.stop()
