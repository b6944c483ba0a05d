"""Attacks by job code and job submitters, each run with a REAL job against the real server, and
shown to fail safely now: jobs are sandboxed (bubblewrap) and run as an unprivileged user, job
tokens are least-privilege, what a job leaves behind is read without following links and names
that are not UTF-8 never crash the server, workspace ids are never reused, and sign-in throttling
never refuses a valid credential. Each test also checks that what the attack went for is really
there (so it would have succeeded without the fix).

Needs /usr/bin/bwrap (Debian package bubblewrap, scripts/deps.sh)."""

from __future__ import annotations

import base64
import json
import os
import stat
import textwrap
import time

import pytest
import requests

from conftest import ML, MlwsServer
from jobs_util import cli, jobs_url, logs, ok_json, submit, wait_status
from mlws_testkit import artifacts, pg

pytestmark = pytest.mark.skipif(not os.access("/usr/bin/bwrap", os.X_OK),
                                reason="bubblewrap is not installed (scripts/deps.sh)")

ADMIN_PW = "admin password 1"
USER_PW = "user password 1"
V1 = "/api/v1"


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


ADMIN = basic("admin", ADMIN_PW)


def secure_server(tmp_path, *extra, env=None) -> MlwsServer:
    """A server that requires sign-in: its first user, admin, is the Owner."""
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, extra_args=extra, env=env).start()
    r = requests.post(f"{srv.url}{V1}/users", json={"name": "admin", "password": ADMIN_PW},
                      timeout=10)
    assert r.status_code == 201, r.text
    return srv


def add_user(srv, name: str, role: str | None = None, ws: str | None = None) -> dict:
    r = requests.post(f"{srv.url}{V1}/users", json={"name": name, "password": USER_PW},
                      headers=ADMIN, timeout=10)
    assert r.status_code == 201, r.text
    if role:
        body = {"user": name, "role": role}
        if ws:
            body["workspace"] = ws
        r = requests.post(f"{srv.url}{V1}/role-assignments", json=body, headers=ADMIN, timeout=10)
        assert r.status_code in (200, 201), r.text
    return basic(name, USER_PW)


def create_ws(srv, name: str) -> None:
    r = requests.post(f"{srv.url}{V1}/workspaces", json={"name": name}, headers=ADMIN, timeout=10)
    assert r.status_code in (200, 201), r.text


def job_dir_of(srv, name: str):
    """<home>/jobs/<workspace id>/<job name>: the workspace id is not in the API."""
    found = list((srv.home / "jobs").glob(f"*/{name}"))
    assert len(found) == 1, found
    return found[0]


def output_file(srv, name: str, path: str, ws="default", headers=None) -> requests.Response:
    return requests.get(f"{jobs_url(srv.url, ws)}/{name}/outputs/artifacts/{path}",
                        headers=headers, timeout=10)


def python_job(script: str) -> str:
    """A job command running `script` with python3 (written to a file first: no quoting)."""
    encoded = base64.b64encode(textwrap.dedent(script).encode()).decode()
    return f"echo {encoded} | base64 -d > attack.py && python3 attack.py"


# ---------------------------------------------------------------------------------------------
# 1. a job cannot reach the server's home, database, key, other workspaces or other jobs
# ---------------------------------------------------------------------------------------------


def test_job_cannot_become_owner_read_the_key_other_artifacts_or_other_jobs(tmp_path):
    srv = secure_server(tmp_path)
    try:
        home = srv.home
        create_ws(srv, "team-a")
        create_ws(srv, "team-b")
        ds = add_user(srv, "ds", "AzureML Data Scientist", "team-a")
        # Another workspace's artifact, and another user's running job holding its token.
        b = requests.post(f"{srv.url}/workspaces/team-b{ML}/runs/create",
                          json={"experiment_id": "0"}, headers=ADMIN, timeout=10).json()["run"]
        r = requests.put(f"{srv.url}/workspaces/team-b/api/2.0/mlflow-artifacts/artifacts/"
                         f"0/{b['info']['run_id']}/artifacts/secret.txt", data=b"team-b secret",
                         headers=ADMIN, timeout=10)
        assert r.status_code == 200, r.text
        victim = submit(srv.url, {"command": "sleep 60"}, ws="team-a", headers=ADMIN)
        wait_status(srv.url, victim["name"], "Running", ws="team-a", headers=ADMIN)

        # What the attack goes for exists and would be readable without the sandbox: the DB, the
        # key, the artifact, and the victim's token in /proc/<pid>/environ on the host.
        # (On PostgreSQL there is no database file, and on S3 the artifact is in the bucket: the
        # job must still not reach them, nor the key.)
        assert pg.backend() != "sqlite" or (home / "mlws.db").is_file()
        assert (home / "master.key").is_file()
        assert artifacts.on_s3() or any(p.read_bytes() == b"team-b secret"
                                        for p in (home / "artifacts").rglob("secret.txt"))
        victim_env = [p for p in os.listdir("/proc") if p.isdigit()
                      and _environ_has(p, f"MLWS_JOB_NAME={victim['name']}".encode())]
        assert victim_env, "the victim job is not visible on the host"

        attack = python_job(f"""
            import json, os, sqlite3
            home = {str(home)!r}
            out = {{}}
            try:
                db = sqlite3.connect("file:" + home + "/mlws.db?mode=rw", uri=True)
                db.execute("INSERT INTO role_assignments (user_id, role, workspace_id, "
                           "creation_time) SELECT id, 'Owner', NULL, 0 FROM users WHERE name='ds'")
                db.commit()
                out["db"] = "owned"
            except Exception as e:
                out["db"] = repr(e)
            for name, path in (("key", home + "/master.key"), ("artifacts", home + "/artifacts")):
                try:
                    out[name] = os.listdir(path) if os.path.isdir(path) else open(path, "rb").read().hex()
                except Exception as e:
                    out[name] = "refused: " + repr(e)
            stolen = []
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
            for p in pids:
                try:
                    env = open("/proc/" + p + "/environ", "rb").read()
                except Exception:
                    continue
                if b"MLWS_JOB_NAME={victim['name']}" in env:
                    stolen.append(p)
            out["stolen"] = stolen
            out["pids"] = len(pids)
            out["uid"] = os.getuid()
            out["home_listing"] = sorted(os.listdir(home))
            json.dump(out, open("outputs/attack.json", "w"))
        """)
        job = submit(srv.url, {"command": attack}, ws="team-a", headers=ds)
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"), ws="team-a", headers=ds)
        assert done["status"] == "Completed", done
        res = output_file(srv, job["name"], "outputs/attack.json", "team-a", ds).json()
        assert res["db"].startswith("OperationalError"), res
        assert res["key"].startswith("refused") and res["artifacts"].startswith("refused"), res
        assert res["stolen"] == [] and res["pids"] < 10, res  # its own PID namespace
        assert res["uid"] == (65534 if os.geteuid() == 0 else os.geteuid()), res
        assert res["home_listing"] == ["jobs"], res  # only the way to its own folder
        # And the user is still no Owner.
        ra = requests.get(f"{srv.url}{V1}/role-assignments", headers=ADMIN, timeout=10).json()
        assert not [a for a in ra["role_assignments"]
                    if a.get("user") == "ds" and a["role"] == "Owner"], ra
        assert requests.post(f"{srv.url}{V1}/workspaces", json={"name": "mine"}, headers=ds,
                             timeout=10).status_code == 403
        requests.post(f"{jobs_url(srv.url, 'team-a')}/{victim['name']}/cancel", headers=ADMIN,
                      timeout=10)
    finally:
        srv.stop()


def _environ_has(pid: str, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def test_ro_mount_input_is_really_read_only_and_outputs_are_collected(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "train.csv").write_text("1\n2\n")
        spec = tmp_path / "job.yml"
        spec.write_text(textwrap.dedent("""\
            command: >-
              cat ${{inputs.data}}/train.csv > outputs/copy.csv;
              (echo tampered > ${{inputs.data}}/train.csv) 2> outputs/write-error.txt;
              rm -f ${{inputs.data}}/train.csv 2>> outputs/write-error.txt;
              echo model > ${{outputs.model}}/m.txt
            inputs:
              data:
                type: uri_folder
                path: ./data
                mode: ro_mount
            outputs:
              model:
                type: uri_folder
            """))
        job = ok_json(cli(srv.url, "-o", "json", "job", "create", "-f", str(spec), "--stream"))
        assert job["status"] == "Completed", job
        assert output_file(srv, job["name"], "outputs/copy.csv").text == "1\n2\n"
        err = output_file(srv, job["name"], "outputs/write-error.txt").text
        assert "Read-only file system" in err, err
        # The uploaded data on the server side is untouched; the named output was collected.
        if artifacts.on_s3():
            root = artifacts.artifact_root(srv.home)
            stored = [root / k for k in artifacts.list_keys(srv.home) if k.endswith("/train.csv")]
        else:
            stored = [p for p in (srv.home).rglob("train.csv") if "jobs" not in p.parts]
        assert stored and all(p.read_text() == "1\n2\n" for p in stored), stored
        r = requests.get(f"{jobs_url(srv.url)}/{job['name']}/outputs/model/m.txt", timeout=10)
        assert r.status_code == 200 and r.text == "model\n", r.text
    finally:
        srv.stop()


def test_without_bwrap_only_owners_run_jobs_unless_the_admin_opts_out(tmp_path):
    missing = {"MLWS_JOB_BWRAP": str(tmp_path / "no-bwrap")}
    srv = secure_server(tmp_path / "a", env=missing)
    try:
        assert "jobs cannot be sandboxed" in srv.stderr()
        ds = add_user(srv, "ds", "AzureML Data Scientist")
        r = requests.post(jobs_url(srv.url), json={"command": "id"}, headers=ds, timeout=10)
        assert r.status_code == 503 and "--allow-unsandboxed-jobs" in r.json()["message"], r.text
        done = wait_status(srv.url, submit(srv.url, {"command": "true"}, headers=ADMIN)["name"],
                           ("Completed", "Failed"), headers=ADMIN)
        assert done["status"] == "Completed", done
    finally:
        srv.stop()
    srv = secure_server(tmp_path / "b", "--allow-unsandboxed-jobs", env=missing)
    try:
        ds = add_user(srv, "ds", "AzureML Data Scientist")
        job = submit(srv.url, {"command": "true"}, headers=ds)
        assert wait_status(srv.url, job["name"], ("Completed", "Failed"),
                           headers=ds)["status"] == "Completed"
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 2. names that are not UTF-8 never crash the server (nor its restarts)
# ---------------------------------------------------------------------------------------------


def test_non_utf8_output_names_do_not_crash_the_server_or_its_restart(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        cmd = ("curl -s -X PUT --data-binary x "
               "\"$MLFLOW_TRACKING_URI/api/2.0/mlflow-artifacts/artifacts/"
               "$MLFLOW_EXPERIMENT_ID/$MLFLOW_RUN_ID/artifacts/outputs/%FF/x\" > /dev/null; "
               "echo bad > outputs/$'\\xff'; echo good > outputs/ok.txt; "
               "mkdir -p outputs/$'\\xfe'; echo bad > outputs/$'\\xfe'/inner; printf 'log \\xff\\n'")
        job = submit(srv.url, {"command": cmd})
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"))
        assert done["status"] == "Completed", done
        assert any("not valid UTF-8" in n for n in done["notes"]), done["notes"]
        assert requests.get(f"{srv.url}/health", timeout=10).status_code == 200
        files = requests.get(f"{jobs_url(srv.url)}/{job['name']}/outputs", timeout=10)
        assert files.status_code == 200, files.text
        assert output_file(srv, job["name"], "outputs/ok.txt").text == "good\n"
        assert "log" in logs(srv.url, job["name"])
        # The bad file is really there: only the check keeps it out of JSON.
        wd = srv.home / "jobs" / "1" / job["name"] / "wd" / "outputs"
        assert (wd / os.fsdecode(b"\xff")).exists()
    finally:
        assert srv.stop() == 0, srv.stderr()
    srv2 = MlwsServer(tmp_path / "home", log_dir=tmp_path, port=srv.port).start()
    try:
        assert wait_status(srv2.url, job["name"], ("Completed",))["status"] == "Completed"
    finally:
        assert srv2.stop() == 0, srv2.stderr()


def test_a_finalization_that_keeps_failing_is_not_retried_forever(tmp_path):
    """A job whose finalization was interrupted twice (the 'finalizing' counter the server keeps
    in the job folder) is failed on the next recovery instead of being finalized again."""
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    job = submit(srv.url, {"command": "sleep 1.5; echo done"})
    running = wait_status(srv.url, job["name"], "Running")
    srv.kill()
    job_dir = srv.home / "jobs" / "1" / job["name"]
    (job_dir / "finalizing").write_text("2\n")  # as if two servers died while finalizing it
    deadline_file = job_dir / "exit"
    srv2 = MlwsServer(tmp_path / "home", log_dir=tmp_path, port=srv.port).start()
    try:
        done = wait_status(srv2.url, job["name"], ("Completed", "Failed"), timeout=30)
        assert deadline_file.exists()
        assert done["status"] == "Failed" and "failed twice" in done["error"], done
        assert done["started_at"] == running["started_at"]
    finally:
        assert srv2.stop() == 0


# ---------------------------------------------------------------------------------------------
# 3. a deleted workspace's id and cached roles never serve the next workspace
# ---------------------------------------------------------------------------------------------


def test_deleted_workspace_id_and_role_cache_do_not_leak_into_the_next(tmp_path):
    srv = secure_server(tmp_path)
    try:
        create_ws(srv, "old")
        member = add_user(srv, "member", "Contributor", "old")
        r = requests.put(f"{srv.url}{V1}/workspaces/old/secrets/s", json={"value": "old"},
                         headers=ADMIN, timeout=10)
        assert r.status_code in (200, 201), r.text
        # The member's assignments are now cached.
        assert requests.get(f"{srv.url}{V1}/workspaces/old/secrets/s", headers=member,
                            timeout=10).status_code == 200
        job = submit(srv.url, {"command": "echo hi > outputs/x"}, ws="old", headers=ADMIN)
        wait_status(srv.url, job["name"], ("Completed",), ws="old", headers=ADMIN)
        old_dir = job_dir_of(srv, job["name"]).parent
        old_id = old_dir.name
        assert requests.delete(f"{srv.url}{V1}/workspaces/old", headers=ADMIN,
                               timeout=30).status_code == 200
        assert not old_dir.exists()  # its job folders went with it
        create_ws(srv, "new")
        job = submit(srv.url, {"command": "true"}, ws="new", headers=ADMIN)
        wait_status(srv.url, job["name"], ("Completed",), ws="new", headers=ADMIN)
        # SQLite alone would hand the deleted (highest) id out again.
        assert job_dir_of(srv, job["name"]).parent.name != old_id
        r = requests.put(f"{srv.url}{V1}/workspaces/new/secrets/s", json={"value": "new secret"},
                         headers=ADMIN, timeout=10)
        assert r.status_code in (200, 201), r.text
        r = requests.get(f"{srv.url}{V1}/workspaces/new/secrets/s", headers=member, timeout=10)
        assert r.status_code == 403, r.text
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 9. throttling never locks out a valid credential; public routes ignore credentials
# ---------------------------------------------------------------------------------------------


def test_failed_sign_ins_never_lock_out_valid_credentials(tmp_path):
    srv = secure_server(tmp_path)
    try:
        token = requests.post(f"{srv.url}{V1}/tokens", json={"name": "t"}, headers=ADMIN,
                              timeout=10).json()["secret"]
        # Wrong passwords for admin: on /health they are not even looked at...
        wrong = basic("admin", "not the password")
        for _ in range(6):
            assert requests.get(f"{srv.url}/health", headers=wrong, timeout=10).status_code == 200
        # ...on a real route they count (5 per user name a minute), are audited, and never refuse
        # the right password.
        codes = [requests.get(f"{srv.url}{V1}/workspaces", headers=wrong, timeout=10).status_code
                 for _ in range(6)]
        assert codes == [401] * 5 + [429], codes
        assert requests.get(f"{srv.url}{V1}/workspaces", headers=ADMIN,
                            timeout=10).status_code == 200
        # 60 bogus tokens from this address (50 failures a minute): later failures get 429, a
        # valid token from the same address still works.
        codes = [requests.get(f"{srv.url}{V1}/workspaces", headers=bearer("bogus"),
                              timeout=10).status_code for _ in range(60)]
        assert set(codes[:44]) == {401} and set(codes[44:]) == {429}, codes
        assert requests.get(f"{srv.url}{V1}/workspaces", headers=bearer(token),
                            timeout=10).status_code == 200
        assert requests.get(f"{srv.url}{V1}/workspaces", headers=ADMIN,
                            timeout=10).status_code == 200
        # Every failure is audited (401 and 429 alike; written asynchronously, so poll).
        deadline = time.monotonic() + 10
        while True:
            rows = requests.get(f"{srv.url}{V1}/audit", params={"max_results": 1000},
                                headers=ADMIN, timeout=10).json()["entries"]
            failed = [e for e in rows if e["path"] == "/api/v1/workspaces"
                      and e["status"] in (401, 429)]
            if len(failed) >= 66 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(failed) == 66, len(failed)
        assert not [e for e in rows if e["path"] == "/health"]
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 10. job tokens are least-privilege and never leak; links in outputs/logs are never followed
# ---------------------------------------------------------------------------------------------


def test_job_token_cannot_mint_tokens_read_secrets_or_leave_its_workspace(tmp_path):
    srv = secure_server(tmp_path)
    try:
        create_ws(srv, "other")
        requests.put(f"{srv.url}{V1}/workspaces/default/secrets/db", json={"value": "pw"},
                     headers=ADMIN, timeout=10).raise_for_status()
        reader = add_user(srv, "reader", "Reader")
        script = f"""
            import json, os, urllib.request
            base = {srv.url!r}
            tok = os.environ["MLWS_TOKEN"]
            def call(method, path, body=None):
                req = urllib.request.Request(base + path, method=method,
                                             data=None if body is None else json.dumps(body).encode(),
                                             headers={{"Authorization": "Bearer " + tok,
                                                      "Content-Type": "application/json"}})
                try:
                    return urllib.request.urlopen(req).status
                except urllib.error.HTTPError as e:
                    return e.code
            out = {{
                "mint": call("POST", "/api/v1/tokens", {{"name": "forever"}}),
                "secret": call("GET", "/api/v1/workspaces/default/secrets/db"),
                "users": call("POST", "/api/v1/users", {{"name": "evil", "password": "12345678"}}),
                "other_ws": call("POST", "/workspaces/other/api/2.0/mlflow/runs/create",
                                 {{"experiment_id": "0"}}),
                "job": call("POST", "/api/v1/workspaces/default/jobs", {{"command": "true"}}),
                "own_run": call("POST", "/api/2.0/mlflow/runs/log-metric",
                                {{"run_id": os.environ["MLFLOW_RUN_ID"], "key": "m", "value": 1,
                                  "timestamp": 1}}),
            }}
            json.dump(out, open("outputs/calls.json", "w"))
            print("TOKEN", tok)
            os.system("env")
        """
        job = submit(srv.url, {"command": python_job(script)}, headers=ADMIN)
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"), headers=ADMIN)
        assert done["status"] == "Completed", done
        calls = output_file(srv, job["name"], "outputs/calls.json", headers=ADMIN).json()
        assert calls["own_run"] == 200, calls  # what a job needs still works
        assert calls["mint"] == 403 and calls["secret"] == 403 and calls["users"] == 403, calls
        assert calls["other_ws"] == 403 and calls["job"] == 403, calls
        # A Reader of the log (the job printed its token and ran `env`) does not get the token.
        text = logs(srv.url, job["name"], headers=reader)
        assert "TOKEN mlws_" + "*" * 43 in text and "MLWS_TOKEN=mlws_" + "*" * 43 in text, text
        art = requests.get(f"{srv.url}/api/2.0/mlflow-artifacts/artifacts/0/{done['run_id']}/"
                           "artifacts/user_logs/std_log.txt", headers=reader, timeout=10)
        assert art.status_code == 200 and "MLWS_TOKEN=mlws_" + "*" * 43 in art.text, art.text
        # The token itself exists (the job used it) and is revoked now.
        tokens = requests.get(f"{srv.url}{V1}/tokens", headers=ADMIN, timeout=10).json()
        job_tokens = [t for t in tokens["tokens"] if t["name"] == "job " + job["name"]]
        assert job_tokens and all(t["revoked"] for t in job_tokens), tokens
    finally:
        srv.stop()


LINK_ATTACK = ("ln -s {home}/master.key outputs/key; ln -s {home}/artifacts outputs/all; "
               "ln -s {home} outputs/home; echo ok > outputs/real.txt")


def _assert_links_not_served(srv, name, headers=None):
    listing = requests.get(f"{jobs_url(srv.url)}/{name}/outputs", headers=headers, timeout=10)
    assert listing.status_code == 200
    paths = json.dumps(listing.json())
    assert "master.key" not in paths and "mlws.db" not in paths, paths
    for p in ("outputs/key", "outputs/all/1", "outputs/home/master.key", "outputs/home/mlws.db"):
        assert output_file(srv, name, p, headers=headers).status_code == 404, p
    assert output_file(srv, name, "outputs/real.txt", headers=headers).text == "ok\n"


def test_links_in_outputs_are_never_followed(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        job = submit(srv.url, {"command": LINK_ATTACK.format(home=srv.home)})
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"))
        assert done["status"] == "Completed", done
        assert os.path.islink(srv.home / "jobs" / "1" / job["name"] / "wd" / "outputs" / "key")
        _assert_links_not_served(srv, job["name"])
        arts = requests.get(f"{srv.url}{ML}/artifacts/list", timeout=10,
                            params={"run_id": done["run_id"], "path": "outputs"}).json()
        assert [f["path"] for f in arts.get("files", [])] == ["outputs/real.txt"], arts
        assert any("symbolic link" in n for n in done["notes"]), done["notes"]
    finally:
        srv.stop()


def test_unsandboxed_job_replacing_outputs_and_its_log_with_links_gets_nothing(tmp_path):
    """Without the sandbox (admin opted out) a job can reach its whole folder: links it plants
    in place of ./outputs and of its own log are still never followed."""
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, extra_args=["--allow-unsandboxed-jobs"],
                     env={"MLWS_JOB_BWRAP": str(tmp_path / "none")}).start()
    try:
        home = srv.home
        cmd = (f"echo hi; rm -rf outputs; ln -s {home} outputs; "
               f"ln -sf {home}/master.key ../user_logs/std_log.txt")
        job = submit(srv.url, {"command": cmd})
        done = wait_status(srv.url, job["name"], ("Completed", "Failed"))
        assert done["status"] == "Completed", done
        job_dir = home / "jobs" / "1" / job["name"]
        assert os.path.islink(job_dir / "wd" / "outputs")
        assert os.path.islink(job_dir / "user_logs" / "std_log.txt")
        key = (home / "master.key").read_bytes()
        assert logs(srv.url, job["name"]) == ""
        assert output_file(srv, job["name"], "outputs/master.key").status_code == 404
        assert output_file(srv, job["name"], "user_logs/std_log.txt").status_code == 404
        listing = json.dumps(requests.get(f"{jobs_url(srv.url)}/{job['name']}/outputs",
                                          timeout=10).json())
        assert "master.key" not in listing and "mlws.db" not in listing, listing
        art = requests.get(f"{srv.url}/api/2.0/mlflow-artifacts/artifacts/0/{done['run_id']}/"
                           "artifacts/user_logs/std_log.txt", timeout=10)
        assert art.status_code == 404 or art.content != key
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 13. job folders are private to the server
# ---------------------------------------------------------------------------------------------


def test_job_folders_and_files_are_private(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        job = submit(srv.url, {"command": "echo hi; echo out > outputs/o.txt"})
        wait_status(srv.url, job["name"], ("Completed",))
        job_dir = srv.home / "jobs" / "1" / job["name"]
        for d in (srv.home / "jobs", job_dir, job_dir / "user_logs", job_dir / "wd"):
            assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
        for f in (job_dir / "user_logs" / "std_log.txt", job_dir / "exit"):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        if os.geteuid() == 0:
            assert (job_dir / "wd").stat().st_uid == 65534  # the job's own user writes it
    finally:
        srv.stop()


def test_job_does_not_inherit_the_servers_credentials(tmp_path):
    # On S3 (MLWS_TEST_ARTIFACTS=s3) the server needs the real secret: that one must not leak.
    secret = artifacts.server_env().get("AWS_SECRET_ACCESS_KEY") or \
        "server-only-" + os.urandom(6).hex()
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     env={"AWS_SECRET_ACCESS_KEY": secret, "PGPASSWORD": secret,
                          "MLWS_EXAMPLE_SETTING": secret, "HARMLESS_SETTING": "kept"}).start()
    try:
        with open(f"/proc/{srv.pid}/environ", "rb") as f:
            assert secret.encode() in f.read()  # the server has them
        job = submit(srv.url, {"command": "env"})
        assert wait_status(srv.url, job["name"], ("Completed",))["status"] == "Completed"
        out = logs(srv.url, job["name"])
        assert "HARMLESS_SETTING=kept" in out and secret not in out, out
    finally:
        srv.stop()
