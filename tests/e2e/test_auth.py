"""Authentication, authorization and audit over real HTTP.

Each test starts its own server (the mode depends on the users that exist)."""

import base64
import json
import subprocess
import time

import pytest
import requests

from conftest import MlwsServer, wait_for_binary, unique

PASSWORD = "correct horse battery"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def post(url, path, body, headers=None):
    return requests.post(url + path, json=body, headers=headers or {}, timeout=30)


def get(url, path, headers=None, **params):
    return requests.get(url + path, params=params, headers=headers or {}, timeout=30)


@pytest.fixture
def open_server(spawn):
    return spawn()


def make_admin(url):
    r = post(url, "/api/v1/users", {"name": "alice", "password": PASSWORD})
    assert r.status_code == 201, r.text
    return basic("alice", PASSWORD)


def test_loopback_without_users_is_open_to_the_local_user(open_server):
    url = open_server.url
    who = get(url, "/api/v1/whoami").json()
    assert (who["user"], who["authenticated"], who["auth_required"]) == ("local", False, False)
    assert who["allowed_actions"]["server/users/write"] is True
    assert post(url, "/api/2.0/mlflow/experiments/create", {"name": unique()}).status_code == 200


def test_first_user_is_owner_and_then_authentication_is_required(open_server):
    url = open_server.url
    alice = make_admin(url)
    r = post(url, "/api/2.0/mlflow/experiments/create", {"name": unique()})
    assert r.status_code == 401
    assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert "Basic" in r.headers.get("WWW-Authenticate", "")
    assert get(url, "/health").status_code == 200  # health stays public
    r = post(url, "/api/2.0/mlflow/experiments/create", {"name": unique()}, alice)
    assert r.status_code == 200, r.text
    assert get(url, "/api/v1/whoami", alice).json()["user"] == "alice"
    roles = get(url, "/api/v1/role-assignments", alice).json()["role_assignments"]
    assert [(a["user"], a["role"], a["scope"]) for a in roles] == [("alice", "Owner", "server")]


def test_wrong_password_and_throttling(open_server):
    url = open_server.url
    make_admin(url)
    for _ in range(5):
        r = get(url, "/api/v1/whoami", basic("alice", "wrong password"))
        assert r.status_code == 401
    # Further wrong guesses are throttled for a while...
    r = get(url, "/api/v1/whoami", basic("alice", "another wrong one"))
    assert r.status_code == 429
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    # ...but the right password is never refused because of them (docs/security.md).
    assert get(url, "/api/v1/whoami", basic("alice", PASSWORD)).status_code == 200


def test_tokens_are_shown_once_listed_without_secret_and_revocable(open_server):
    url = open_server.url
    alice = make_admin(url)
    r = post(url, "/api/v1/tokens", {"name": "ci", "expires_in_days": 30}, alice)
    assert r.status_code == 201, r.text
    secret, token = r.json()["secret"], r.json()["token"]
    assert secret.startswith("mlws_") and len(secret) > 40
    assert get(url, "/api/v1/whoami", bearer(secret)).json()["user"] == "alice"
    listed = get(url, "/api/v1/tokens", alice).json()["tokens"]
    assert len(listed) == 1 and "secret" not in listed[0]
    assert secret not in get(url, "/api/v1/tokens", alice).text
    assert requests.delete(f"{url}/api/v1/tokens/{token['id']}", headers=alice,
                           timeout=30).status_code == 200
    r = get(url, "/api/v1/whoami", bearer(secret))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert get(url, "/api/v1/whoami", bearer("mlws_" + "x" * 43)).status_code == 401


def test_roles_scope_to_workspaces(open_server):
    url = open_server.url
    alice = make_admin(url)
    assert post(url, "/api/v1/workspaces", {"name": "team"}, alice).status_code == 201
    assert post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD},
                alice).status_code == 201
    bob = basic("bob", PASSWORD)
    team = url + "/workspaces/team"
    exp = post(team, "/api/2.0/mlflow/experiments/create", {"name": "e"}, alice).json()
    run = post(team, "/api/2.0/mlflow/runs/create", {"experiment_id": exp["experiment_id"]},
               alice).json()["run"]["info"]["run_id"]

    # No role: denied everywhere.
    r = get(team, "/api/2.0/mlflow/runs/get", bob, run_id=run)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"

    # Reader in "team": reads there, cannot write there, cannot read the default workspace.
    r = post(url, "/api/v1/role-assignments", {"user": "bob", "role": "Reader",
                                               "workspace": "team"}, alice)
    assert r.status_code == 201, r.text
    assert get(team, "/api/2.0/mlflow/runs/get", bob, run_id=run).status_code == 200
    # What the studio asks to decide what to show: per workspace.
    can = get(url, "/api/v1/whoami", bob, workspace="team").json()["allowed_actions"]
    assert can["workspaces/runs/read"] is True and can["workspaces/runs/write"] is False
    assert can["server/users/write"] is False
    can = get(url, "/api/v1/whoami", bob).json()["allowed_actions"]
    assert can["workspaces/runs/read"] is False
    r = post(team, "/api/2.0/mlflow/runs/log-parameter", {"run_id": run, "key": "k",
                                                           "value": "v"}, bob)
    assert r.status_code == 403
    assert post(url, "/api/2.0/mlflow/experiments/search", {"max_results": 10},
                bob).status_code == 403

    # Data scientist in "team": writes runs there, still cannot manage users or roles.
    assert post(url, "/api/v1/role-assignments", {"user": "bob", "role": "AzureML Data Scientist",
                                                  "workspace": "team"}, alice).status_code == 201
    r = post(team, "/api/2.0/mlflow/runs/log-parameter", {"run_id": run, "key": "k",
                                                           "value": "v"}, bob)
    assert r.status_code == 200, r.text
    assert post(url, "/api/v1/users", {"name": "eve", "password": PASSWORD}, bob).status_code == 403
    assert post(url, "/api/v1/role-assignments", {"user": "bob", "role": "Owner"},
                bob).status_code == 403
    assert requests.delete(url + "/api/v1/workspaces/team", headers=bob,
                           timeout=30).status_code == 403


def test_unknown_role_and_user_are_clear_errors(open_server):
    url = open_server.url
    alice = make_admin(url)
    r = post(url, "/api/v1/role-assignments", {"user": "alice", "role": "Boss"}, alice)
    assert r.status_code == 400 and "Unknown role" in r.json()["message"]
    r = post(url, "/api/v1/role-assignments", {"user": "nobody", "role": "Reader"}, alice)
    assert r.status_code == 404
    r = post(url, "/api/v1/users", {"name": "short", "password": "x"}, alice)
    assert r.status_code == 400


def test_audit_records_writes_and_denials_for_owners_only(open_server):
    url = open_server.url
    alice = make_admin(url)
    post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD}, alice)
    bob = basic("bob", PASSWORD)
    name = unique()
    assert post(url, "/api/2.0/mlflow/experiments/create", {"name": name}, alice).status_code == 200
    assert post(url, "/api/2.0/mlflow/experiments/create", {"name": "x"}, bob).status_code == 403
    post(url, "/api/2.0/mlflow/experiments/create", {"name": "y"})  # anonymous: 401
    # Audit records are committed with the next group commit after the response: allow it.
    deadline = time.monotonic() + 5
    while True:
        r = get(url, "/api/v1/audit", alice, max_results=100)
        assert r.status_code == 200, r.text
        entries = r.json()["entries"]
        if any(e["user"] == "anonymous" for e in entries) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    created = [e for e in entries if e["user"] == "alice" and e["status"] == 200
               and e["action"] == "workspaces/experiments/write"]
    assert created, entries
    assert any(e["user"] == "bob" and e["status"] == 403 for e in entries)
    assert any(e["user"] == "anonymous" and e["status"] == 401 for e in entries)
    denied = get(url, "/api/v1/audit", alice, denied_only="true").json()["entries"]
    assert denied and all(e["status"] in (401, 403) for e in denied)
    assert get(url, "/api/v1/audit", bob).status_code == 403


def test_secrets_never_stored_in_plaintext(open_server):
    url = open_server.url
    alice = make_admin(url)
    secret = post(url, "/api/v1/tokens", {"name": "t"}, alice).json()["secret"]
    open_server.stop()
    blob = b"".join(p.read_bytes() for p in open_server.home.glob("mlws.db*"))
    assert PASSWORD.encode() not in blob
    assert secret.encode() not in blob
    assert b"$argon2id$" in blob
    assert secret.encode() not in open_server.stderr().encode()


def test_non_loopback_bind_requires_authentication(tmp_path):
    pw_file = tmp_path / "admin-pw"
    pw_file.write_text("an admin password\n")
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     extra_args=["--host", "0.0.0.0", "--admin-password-file", str(pw_file)])
    srv.command = lambda: [wait_for_binary(), "server", "--port", str(srv.port), "--home",
                           str(srv.home), *srv.extra_args]
    srv.start()
    try:
        assert get(srv.url, "/api/v1/whoami").status_code == 401
        who = get(srv.url, "/api/v1/whoami", basic("admin", "an admin password")).json()
        assert who["user"] == "admin" and who["authenticated"]
    finally:
        srv.stop()


def test_generated_admin_password_is_printed_once(tmp_path):
    port_srv = MlwsServer(tmp_path / "home", log_dir=tmp_path)
    proc = subprocess.Popen([wait_for_binary(), "server", "--host", "0.0.0.0", "--port",
                             str(port_srv.port), "--home", str(tmp_path / "home")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert "One-time password: " in line
        password = line.split("One-time password: ")[1].strip()
        for _ in range(200):
            try:
                if get(port_srv.url, "/health").status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        r = get(port_srv.url, "/api/v1/whoami", basic("admin", password))
        assert r.status_code == 200 and r.json()["user"] == "admin"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_mlflow_client_with_token_and_basic(open_server, tmp_path):
    url = open_server.url
    alice = make_admin(url)
    secret = post(url, "/api/v1/tokens", {"name": "mlflow"}, alice).json()["secret"]
    script = (
        "import mlflow, os\n"
        "mlflow.set_tracking_uri(os.environ['URL'])\n"
        "mlflow.set_experiment('auth-check')\n"
        "with mlflow.start_run() as r:\n"
        "    mlflow.log_metric('m', 1.0)\n"
        "print(mlflow.get_run(r.info.run_id).data.metrics['m'])\n"
    )
    import os
    import sys
    for extra in ({"MLFLOW_TRACKING_TOKEN": secret},
                  {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": PASSWORD}):
        env = {**os.environ, "URL": url, **extra}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().endswith("1.0")


def test_cli_login_saves_a_private_token_and_uses_it(open_server, tmp_path):
    import os
    import stat
    url = open_server.url
    alice = make_admin(url)
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("MLWS_TOKEN", None)
    mlws = wait_for_binary()
    out = subprocess.run([mlws, "--url", url, "login", "--user", "alice"], input=PASSWORD + "\n",
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cred = tmp_path / ".mlws" / "credentials"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert PASSWORD not in cred.read_text()
    out = subprocess.run([mlws, "--url", url, "-o", "json", "workspace", "list"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # Without credentials the same command is refused with a hint.
    out = subprocess.run([mlws, "--url", url, "workspace", "list"],
                         env={**env, "HOME": str(tmp_path / "nobody")}, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "UNAUTHENTICATED" in out.stderr and "mlws login" in out.stderr
    # Role management through the CLI.
    subprocess.run([mlws, "--url", url, "user", "create", "bob"], input=PASSWORD + "\n",
                   env=env, capture_output=True, text=True, timeout=60, check=True)
    out = subprocess.run([mlws, "--url", url, "-o", "json", "role-assignment", "create", "--user",
                          "bob", "--role", "Reader"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 5  # audit records land with the next group commit
    while True:
        out = subprocess.run([mlws, "--url", url, "audit", "list", "--max-results", "5"],
                             env=env, capture_output=True, text=True, timeout=60)
        if "role-assignments" in out.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert out.returncode == 0 and "role-assignments" in out.stdout, out.stdout + out.stderr
    assert requests.get(url + "/api/v1/users", headers=alice, timeout=30).json()["users"][1][
        "name"] == "bob"
    for args in (["group", "create", "ml"], ["group", "add-member", "ml", "bob"],
                 ["role-assignment", "create", "--group", "ml", "--role", "Reader",
                  "--workspace", "default"]):
        out = subprocess.run([mlws, "--url", url, *args], env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, (args, out.stderr)
    out = subprocess.run([mlws, "--url", url, "-o", "json", "group", "list"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["groups"][0]["members"] == ["bob"]
    out = subprocess.run([mlws, "--url", url, "-o", "json", "group", "show", "ml"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["members"] == ["bob"]
    out = subprocess.run([mlws, "--url", url, "user", "show", "ghost"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "no user with name 'ghost'" in out.stderr
    out = subprocess.run([mlws, "--url", url, "role-assignment", "list"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert "ml" in out.stdout and "Reader" in out.stdout


def test_groups_carry_role_assignments_to_their_members(open_server):
    url = open_server.url
    alice = make_admin(url)
    post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD}, alice)
    bob = basic("bob", PASSWORD)
    assert post(url, "/api/v1/groups", {"name": "ml"}, alice).status_code == 201
    assert post(url, "/api/v1/groups", {"name": "ml"}, alice).status_code == 400  # exists
    assert post(url, "/api/v1/groups", {"name": "Bad Name"}, alice).status_code == 400
    r = post(url, "/api/v1/role-assignments", {"group": "ml", "role": "Reader"}, alice)
    assert r.status_code == 201, r.text
    assert r.json()["role_assignment"]["group"] == "ml"
    r = post(url, "/api/v1/role-assignments", {"group": "ml", "user": "bob", "role": "Reader"},
             alice)
    assert r.status_code == 400
    search = lambda: post(url, "/api/2.0/mlflow/experiments/search", {"max_results": 5}, bob)
    assert search().status_code == 403
    assert requests.put(url + "/api/v1/groups/ml/members/bob", headers=alice,
                        timeout=30).status_code == 200
    assert search().status_code == 200
    groups = get(url, "/api/v1/groups", alice).json()["groups"]
    assert groups == [{"name": "ml", "members": ["bob"], "creation_time": groups[0]["creation_time"]}]
    assert requests.delete(url + "/api/v1/groups/ml/members/bob", headers=alice,
                           timeout=30).status_code == 200
    assert search().status_code == 403  # membership changes apply at once
    requests.put(url + "/api/v1/groups/ml/members/bob", headers=alice, timeout=30)
    assert search().status_code == 200
    assert requests.delete(url + "/api/v1/groups/ml", headers=alice, timeout=30).status_code == 200
    assert search().status_code == 403
    assert all("group" not in a for a in
               get(url, "/api/v1/role-assignments", alice).json()["role_assignments"])
    # Managing groups is reserved to those who manage identities.
    assert post(url, "/api/v1/groups", {"name": "x"}, bob).status_code == 403


def test_custom_roles_from_yaml_and_json(open_server, tmp_path):
    url = open_server.url
    alice = make_admin(url)
    post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD}, alice)
    bob = basic("bob", PASSWORD)
    spec = tmp_path / "run-logger.yml"
    spec.write_text("name: Run Logger\n"
                    "description: log runs, nothing else\n"
                    "Actions: [workspaces/runs/*, workspaces/experiments/read]\n"
                    "NotActions: [workspaces/runs/delete]\n")
    import os
    env = {**os.environ, "HOME": str(tmp_path)}
    token = post(url, "/api/v1/tokens", {"name": "cli"}, alice).json()["secret"]
    mlws = wait_for_binary()
    out = subprocess.run([mlws, "--url", url, "--token", token, "role", "create", "-f", str(spec)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    roles = {r["name"]: r for r in get(url, "/api/v1/roles", alice).json()["roles"]}
    assert roles["Run Logger"]["builtin"] is False
    assert roles["Run Logger"]["allow"] == ["workspaces/runs/*", "workspaces/experiments/read"]
    assert roles["Owner"]["builtin"] is True

    assert post(url, "/api/v1/role-assignments", {"user": "bob", "role": "Run Logger"},
                alice).status_code == 201
    run = post(url, "/api/2.0/mlflow/runs/create", {"experiment_id": "0"}, bob)
    assert run.status_code == 200, run.text
    assert post(url, "/api/2.0/mlflow/experiments/create", {"name": unique()},
                bob).status_code == 403
    # Deleting a role that is assigned is refused; built-in roles cannot be deleted.
    r = requests.delete(url + "/api/v1/roles/Run%20Logger", headers=alice, timeout=30)
    assert r.status_code == 409 and r.json()["error_code"] == "RESOURCE_CONFLICT"
    assert requests.delete(url + "/api/v1/roles/Owner", headers=alice,
                           timeout=30).status_code == 400

    # Bad specs are clear errors, naming the problem.
    for body, needle in (({"name": "Owner", "allow": ["*"]}, "built-in"),
                         ({"name": "x", "allow": []}, "allow"),
                         ({"name": "y", "allow": ["runs/wr*te"]}, "pattern"),
                         ({"name": "Run Logger", "allow": ["*"]}, "exists")):
        r = post(url, "/api/v1/roles", body, alice)
        assert r.status_code == 400 and needle in r.json()["message"], (body, r.text)
    bad = tmp_path / "bad.yml"
    bad.write_text("name: z\nallow: [x]\npermissions: [y]\n")
    out = subprocess.run([mlws, "--url", url, "--token", token, "role", "create", "-f", str(bad)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "unknown field 'permissions'" in out.stderr
    assert post(url, "/api/v1/roles", {"name": "z", "allow": ["*"]}, bob).status_code == 403


def test_address_throttle_is_looser_than_user_throttle(open_server):
    url = open_server.url
    alice = make_admin(url)
    post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD}, alice)
    # A script with a stale token fails 10 times from this address...
    for _ in range(10):
        assert get(url, "/api/v1/whoami", bearer("mlws_" + "s" * 43)).status_code == 401
    # ...people on the same address still sign in.
    assert get(url, "/api/v1/whoami", basic("bob", PASSWORD)).status_code == 200
    for _ in range(40):
        get(url, "/api/v1/whoami", bearer("mlws_" + "s" * 43))
    # 50 failures from the address: its next failures get 429, valid credentials still work.
    r = get(url, "/api/v1/whoami", bearer("mlws_" + "s" * 43))
    assert r.status_code == 429
    assert get(url, "/api/v1/whoami", alice).status_code == 200


def test_the_last_server_owner_cannot_be_deleted(open_server):
    url = open_server.url
    alice = make_admin(url)
    r = requests.delete(url + "/api/v1/users/alice", headers=alice, timeout=30)
    assert r.status_code == 409, r.text
    assert r.json()["error_code"] == "RESOURCE_CONFLICT"
    assert "last server Owner" in r.json()["message"]
    assert get(url, "/api/v1/whoami", alice).json()["user"] == "alice"  # nothing changed
    # With a second server Owner, either may go.
    assert post(url, "/api/v1/users", {"name": "bob", "password": PASSWORD}, alice).status_code == 201
    assert post(url, "/api/v1/role-assignments", {"user": "bob", "role": "Owner"},
                alice).status_code == 201
    bob = basic("bob", PASSWORD)
    assert requests.delete(url + "/api/v1/users/alice", headers=bob, timeout=30).status_code == 200
    assert get(url, "/api/v1/whoami", alice).status_code == 401
    r = requests.delete(url + "/api/v1/users/bob", headers=bob, timeout=30)
    assert r.status_code == 409, r.text
