"""A server with several signed-in users, for tests of who may do what: REST calls as a user
(Basic auth), the CLI as a user (their token), role assignments."""

from __future__ import annotations

import base64
import os
import subprocess

import requests
import yaml

from conftest import MlwsServer, wait_for_binary

PASSWORD = "correct horse battery"


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


class Env:
    def __init__(self, srv: MlwsServer):
        self.srv = srv
        self.url = srv.url
        self.tokens: dict[str, str] = {}

    def req(self, method, path, user="alice", **kw):
        return requests.request(method, self.url + path, headers=basic(user), timeout=60, **kw)

    def cli(self, user, *args, output="json"):
        if args[:1] == ("-w",):  # -w belongs to the noun: put it after the verb's arguments
            args = (*args[2:], "-w", args[1])
        cmd = [wait_for_binary(), "--url", self.url, "-o", output, *args]
        env = {**os.environ, "MLWS_TOKEN": self.tokens[user]}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, env=env)

    def ok(self, user, *args):
        p = self.cli(user, *args)
        assert p.returncode == 0, f"{args}\nstdout:{p.stdout}\nstderr:{p.stderr}"
        return yaml.safe_load(p.stdout) if p.stdout.strip() else None

    def fails(self, user, *args):
        p = self.cli(user, *args)
        assert p.returncode == 1, f"{args}\nstdout:{p.stdout}\nstderr:{p.stderr}"
        return p.stderr

    def assign(self, user, role, **scope):
        r = self.req("POST", "/api/v1/role-assignments", json={"user": user, "role": role, **scope})
        assert r.status_code == 201, r.text
        return r.json()["role_assignment"]

    def add_users(self, *users):
        """Creates the users (the first on a fresh server becomes its Owner) and their tokens."""
        for user in users:
            r = requests.post(self.url + "/api/v1/users",
                              json={"name": user, "password": PASSWORD},
                              headers=basic(users[0]) if user != users[0] else {}, timeout=30)
            assert r.status_code == 201, r.text
            t = self.req("POST", "/api/v1/tokens", user=user, json={"name": "cli"})
            assert t.status_code in (200, 201), t.text
            self.tokens[user] = t.json()["secret"]
