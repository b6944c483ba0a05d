"""Online deployments on two `mlws server` processes sharing one PostgreSQL database
(docs/scale-out.md "Several servers on one database"): the server that creates a deployment
holds its lease and supervises its instances; the other one answers reads from the database and
scores through the same instances; after the owner is killed with SIGKILL the other one takes
the deployment over and keeps serving. Waits on events (a status, an answer), not on sleeps."""

from __future__ import annotations

import os
import signal

import pytest
import requests

from endpoints_util import (create_endpoint, deployment, ep_url, keys, score, wait_until,
                            write_deployment)
from jobs_util import cli, ok_json
from mlws_testkit import pg
from test_multi_server import process_gone, two_servers

pytestmark = pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 is not installed")

# Answers with its process id, so the test sees which process served.
PID_SCORE = '''
import json, os

def init():
    pass

def run(raw_data):
    return {"who": os.environ.get("WHO", "?"), "pid": os.getpid()}
'''


def test_deployment_outlives_its_server(tmp_path):
    db = pg.cluster().new_database()
    a, b = two_servers(tmp_path, db)
    try:
        # Created through A after B started: B knows it from the database.
        create_endpoint(a.url, tmp_path, "multi-ep")
        spec = write_deployment(tmp_path, "blue", "multi-ep", score=PID_SCORE)
        d = ok_json(cli(a.url, "-o", "json", "online-deployment", "create", "-f", str(spec),
                        "--all-traffic", timeout=300))
        assert d["provisioning_state"] == "Succeeded", d
        assert deployment(b.url, "multi-ep", "blue")["provisioning_state"] == "Succeeded"
        names = [e["name"] for e in requests.get(ep_url(b.url), timeout=10).json()["value"]]
        assert "multi-ep" in names
        key = keys(b.url, "multi-ep")["primaryKey"]

        # B scores through A's instance (the same process A answers with).
        first = wait_until(lambda: (r := score(b.url, "multi-ep", {"n": 1}, key=key))
                           .status_code == 200 and r.json(), 30, "B to reach the instance")
        assert score(a.url, "multi-ep", {"n": 1}, key=key).json()["pid"] == first["pid"]
        # Changes go through the server that runs it.
        r = requests.delete(f"{ep_url(b.url, 'multi-ep')}/deployments/blue", timeout=10)
        assert r.status_code == 409 and "another server" in r.json()["message"], r.text

        # A dies, and so does its instance: B takes the deployment over and starts it again.
        a.kill()
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(lambda: process_gone(first["pid"]), 10, "the instance to end")

        def served_by_b():
            r = score(b.url, "multi-ep", {"n": 2}, key=key)
            return r.status_code == 200 and r.json()["pid"] != first["pid"] and r.json()
        again = wait_until(served_by_b, 30, "B to take the deployment over and serve it")
        assert again["who"] == "blue"
        assert any("taking it over from server" in line for line in b.stderr_lines())
        assert deployment(b.url, "multi-ep", "blue")["provisioning_state"] == "Succeeded"
        # B owns it now: deleting through B stops the instance.
        r = requests.delete(ep_url(b.url, "multi-ep"), timeout=60)
        assert r.status_code == 200, r.text
        wait_until(lambda: process_gone(again["pid"]), 30, "the instance to stop")
    finally:
        a.kill()
        b.stop()
