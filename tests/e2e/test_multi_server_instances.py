"""Compute instances on two `mlws server` processes sharing one PostgreSQL database
(docs/scale-out.md "Several servers on one database"): an instance created through A after B
started is known to B from the database; stop through B is carried out by A (which runs the
lab); after A is killed with SIGKILL, B takes the instance over (re-adopting the same lab on this
host) and serves and deletes it. Waits on events (a state, a log line, a process ending)."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest
import requests

from endpoints_util import wait_until
from mlws_testkit import pg
from test_compute_instance import JUPYTER, wait_state
from test_multi_server import process_gone, two_servers

pytestmark = [
    pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed"),
    pytest.mark.skipif(not JUPYTER.exists(), reason=".venv-jupyter is not built (make deps)"),
]


def lab_pids(name: str) -> list[int]:
    """The JupyterLab processes of instance `name` (its base URL is on their command line)."""
    want = f"--ServerApp.base_url=/workspaces/default/computes/{name}/lab/".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if want in args and not process_gone(int(d.name)):
            pids.append(int(d.name))
    return pids


def test_instance_is_shared_and_taken_over(tmp_path):
    db = pg.cluster().new_database()
    a, b = two_servers(tmp_path, db)
    name = "ci" + uuid.uuid4().hex[:8]
    on_a = f"{a.url}/api/v1/workspaces/default/computes"
    on_b = f"{b.url}/api/v1/workspaces/default/computes"
    try:
        r = requests.post(on_a, json={"name": name, "type": "computeinstance"}, timeout=60)
        assert r.status_code == 201, r.text
        # B started before the instance existed and knows it from the database.
        ci = wait_state(b.url, {}, name, "Running")
        assert name in [c["name"] for c in requests.get(on_b, timeout=30).json()["value"]]
        [first] = lab_pids(name)
        # Its lab answers through B too (same host: B reaches A's lab).
        r = requests.get(b.url + ci["lab_path"] + "api/status", timeout=30)
        assert r.status_code == 200, r.text

        # Stop through B: A, which runs the lab, carries it out.
        r = requests.post(f"{on_b}/{name}/stop", json={}, timeout=30)
        assert r.status_code == 200 and r.json()["state"] in ("Stopping", "Stopped"), r.text
        stopped = wait_state(b.url, {}, name, "Stopped")
        assert stopped["last_stop_reason"] == "stop", stopped
        wait_until(lambda: process_gone(first), 30, "A to stop the lab")
        assert any("stop asked through server" in line for line in a.stderr_lines())

        # Started through A again, then A dies: B takes it over and re-adopts the same lab.
        r = requests.post(f"{on_a}/{name}/start", json={}, timeout=30)
        assert r.status_code == 200, r.text
        ci = wait_state(a.url, {}, name, "Running", after=ci["started_at"] + 1)
        [second] = lab_pids(name)
        a.kill()
        wait_until(lambda: any(f"compute instance default/{name}: taking it over" in line
                               for line in b.stderr_lines()), 30, "B to take the instance over")
        ci = wait_state(b.url, {}, name, "Running")
        assert lab_pids(name) == [second]
        r = requests.get(b.url + ci["lab_path"] + "api/status", timeout=30)
        assert r.status_code == 200, r.text

        # B runs it now: deleting through B ends the lab.
        r = requests.delete(f"{on_b}/{name}", timeout=30)
        assert r.status_code == 200, r.text
        wait_until(lambda: process_gone(second), 30, "B to stop the lab")
        assert requests.get(f"{on_b}/{name}", timeout=30).status_code == 404
    finally:
        a.kill()
        b.stop()
        for pid in lab_pids(name):
            os.kill(pid, signal.SIGKILL)

