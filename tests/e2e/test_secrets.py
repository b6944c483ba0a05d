"""The workspace secrets vault over real HTTP: sealed at rest, never listed or logged."""

import base64
import os
import stat
import subprocess

import requests

from conftest import MlwsServer, wait_for_binary

PLANTED = "s3cr3t-PLANTED-value-5f1c"
PASSWORD = "vault password 1"


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


def secrets_url(url, ws="default"):
    return f"{url}/api/v1/workspaces/{ws}/secrets"


def test_set_get_list_delete_and_nothing_in_plaintext(spawn):
    srv = spawn()
    base = secrets_url(srv.url)
    r = requests.put(base + "/DB_PASSWORD", json={"value": PLANTED}, timeout=30)
    assert r.status_code == 200, r.text
    listed = requests.get(base, timeout=30)
    assert [s["name"] for s in listed.json()["secrets"]] == ["DB_PASSWORD"]
    assert PLANTED not in listed.text
    assert requests.get(base + "/DB_PASSWORD", timeout=30).json()["value"] == PLANTED
    # Replace, then read the new value.
    requests.put(base + "/DB_PASSWORD", json={"value": "v2"}, timeout=30)
    assert requests.get(base + "/DB_PASSWORD", timeout=30).json()["value"] == "v2"
    requests.put(base + "/API_KEY", json={"value": PLANTED}, timeout=30)

    key = srv.home / "master.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    srv.stop()
    blob = b"".join(p.read_bytes() for p in srv.home.glob("mlws.db*"))
    assert PLANTED.encode() not in blob
    assert PLANTED not in srv.stderr()

    # The key persists: a restart reads the secret back.
    srv.start()
    assert requests.get(base + "/API_KEY", timeout=30).json()["value"] == PLANTED
    assert requests.delete(base + "/API_KEY", timeout=30).status_code == 200
    r = requests.get(base + "/API_KEY", timeout=30)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_bad_names_values_and_workspace_isolation(spawn):
    srv = spawn()
    url = srv.url
    for bad in ("1abc", "a.b", "x" * 129):
        r = requests.put(secrets_url(url) + "/" + bad, json={"value": "v"}, timeout=30)
        assert r.status_code == 400, bad
    r = requests.put(secrets_url(url) + "/BIG", json={"value": "x" * (64 * 1024 + 1)}, timeout=30)
    assert r.status_code == 400
    r = requests.put(secrets_url(url) + "/NOVALUE", json={}, timeout=30)
    assert r.status_code == 400
    assert requests.get(secrets_url(url), timeout=30).json()["secrets"] == []
    requests.post(url + "/api/v1/workspaces", json={"name": "other"}, timeout=30)
    requests.put(secrets_url(url, "other") + "/TOKEN", json={"value": "t"}, timeout=30)
    assert requests.get(secrets_url(url) + "/TOKEN", timeout=30).status_code == 404
    assert requests.get(secrets_url(url, "missing"), timeout=30).status_code == 404


def test_readers_see_names_but_not_values(spawn):
    srv = spawn()
    url = srv.url
    requests.post(url + "/api/v1/users", json={"name": "owner", "password": PASSWORD}, timeout=30)
    for user, role in (("reader", "Reader"), ("scientist", "AzureML Data Scientist")):
        requests.post(url + "/api/v1/users", json={"name": user, "password": PASSWORD},
                      headers=basic("owner"), timeout=30)
        requests.post(url + "/api/v1/role-assignments", json={"user": user, "role": role},
                      headers=basic("owner"), timeout=30)
    base = secrets_url(url)
    assert requests.put(base + "/K", json={"value": PLANTED}, headers=basic("owner"),
                        timeout=30).status_code == 200
    assert requests.get(base, headers=basic("reader"), timeout=30).status_code == 200
    assert requests.get(base + "/K", headers=basic("reader"), timeout=30).status_code == 403
    assert requests.put(base + "/K", json={"value": "x"}, headers=basic("reader"),
                        timeout=30).status_code == 403
    r = requests.get(base + "/K", headers=basic("scientist"), timeout=30)
    assert r.status_code == 200 and r.json()["value"] == PLANTED


def test_master_key_from_environment_and_a_wrong_key_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    srv = MlwsServer(home, log_dir=tmp_path, env={"MLWS_MASTER_KEY": "11" * 32})
    srv.start()
    base = secrets_url(srv.url)
    assert requests.put(base + "/K", json={"value": PLANTED}, timeout=30).status_code == 200
    assert not (home / "master.key").exists()  # the key lives only in the environment
    srv.stop()
    srv.env = {"MLWS_MASTER_KEY": "22" * 32}
    srv.start()
    r = requests.get(base + "/K", timeout=30)
    # A 500 names a reference, never the server's internals; the server log has the reason.
    assert r.status_code == 500 and "reference" in r.json()["message"]
    ref = r.json()["message"].split("reference ")[1].split(";")[0]
    srv.stop()
    assert any(ref in line and "master key" in line for line in srv.stderr_lines())
    out = subprocess.run([wait_for_binary(), "server", "--port", str(srv.port), "--home",
                          str(home)], env={**os.environ, "MLWS_MASTER_KEY": "not-hex"},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "MLWS_MASTER_KEY" in out.stderr


def test_key_file_readable_by_others_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    key = home / "master.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "MLWS_MASTER_KEY"}
    out = subprocess.run([wait_for_binary(), "server", "--port", "0", "--home", str(home)],
                         env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "chmod 600" in out.stderr


def test_cli_secret_verbs(spawn):
    srv = spawn()
    mlws = wait_for_binary()
    run = lambda *a, **kw: subprocess.run([mlws, "--url", srv.url, *a], capture_output=True,
                                          text=True, timeout=60, **kw)
    out = run("secret", "set", "CLI_SECRET", input=PLANTED + "\n")
    assert out.returncode == 0, out.stderr
    out = run("secret", "list")
    assert "CLI_SECRET" in out.stdout and PLANTED not in out.stdout
    assert run("secret", "show", "CLI_SECRET").stdout.strip() == PLANTED
    assert run("secret", "delete", "CLI_SECRET").returncode == 0
    out = run("secret", "show", "CLI_SECRET")
    assert out.returncode == 1 and "does not exist" in out.stderr
