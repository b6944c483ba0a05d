"""The mlws command line (the same binary) against a live server: workspace, experiment and run
commands in table and json output, and clean failures (exit code 1, "error: ..." on stderr)."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from conftest import Api, free_port, unique, wait_for_binary

import requests


def cli(url: str, *args: str, output: str | None = None, timeout: float = 60):
    cmd = [wait_for_binary(), "--url", url]
    if output:
        cmd += ["-o", output]
    cmd += list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def ok(proc) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc.stdout


def ok_json(proc):
    return json.loads(ok(proc))


def table(stdout: str) -> tuple[list[str], list[list[str]]]:
    """Splits a table printed with 2+ spaces between columns into header and rows."""
    import re

    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    split = lambda ln: re.split(r"\s{2,}", ln.strip())  # noqa: E731
    return split(lines[0]), [split(ln) for ln in lines[1:]]


def failed(proc, *parts: str) -> str:
    assert proc.returncode == 1, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    err = proc.stderr.strip()
    assert err.startswith("error: "), err
    for p in parts:
        assert p in err, f"{p!r} not in {err!r}"
    assert proc.stdout.strip() == "", proc.stdout
    return err


# ---------------------------------------------------------------------------------------------
# workspace
# ---------------------------------------------------------------------------------------------


def test_workspace_lifecycle_table(server):
    url, name = server.url, unique("cli-t")
    header, rows = table(ok(cli(url, "workspace", "create", name, "--description",
                                "made by the cli")))
    assert header == ["NAME", "DESCRIPTION"]
    assert rows == [[name, "made by the cli"]]
    # Really created on the server.
    r = requests.get(f"{url}/api/v1/workspaces/{name}", timeout=10)
    assert r.status_code == 200 and r.json()["workspace"]["description"] == "made by the cli"

    header, rows = table(ok(cli(url, "workspace", "list")))
    assert header == ["NAME", "DESCRIPTION", "CREATED"]
    by_name = {r[0]: r for r in rows}
    assert by_name[name][1] == "made by the cli"
    assert by_name[name][2] == str(r.json()["workspace"]["creation_time"])
    assert "default" in by_name

    header, rows = table(ok(cli(url, "workspace", "show", name)))
    assert header == ["NAME", "DESCRIPTION", "CREATED"]
    assert rows == [[name, "made by the cli", str(r.json()["workspace"]["creation_time"])]]

    out = ok(cli(url, "workspace", "delete", name))
    assert name in out
    assert requests.get(f"{url}/api/v1/workspaces/{name}", timeout=10).status_code == 404
    failed(cli(url, "workspace", "show", name), name)


def test_workspace_lifecycle_json(server):
    url, name = server.url, unique("cli-j")
    created = ok_json(cli(url, "workspace", "create", name, "--description", "d j",
                          output="json"))
    assert created["workspace"]["name"] == name
    assert created["workspace"]["description"] == "d j"
    assert isinstance(created["workspace"]["creation_time"], int)

    listed = ok_json(cli(url, "workspace", "list", output="json"))
    rest = requests.get(f"{url}/api/v1/workspaces", timeout=10).json()
    assert listed == rest
    assert created["workspace"] in listed["workspaces"]

    shown = ok_json(cli(url, "workspace", "show", name, output="json"))
    assert shown == created

    deleted = ok_json(cli(url, "workspace", "delete", name, output="json"))
    assert deleted == {}
    assert name not in [w["name"] for w in ok_json(cli(url, "workspace", "list",
                                                       output="json"))["workspaces"]]


def test_workspace_errors(server):
    url = server.url
    ghost = unique("ghost")
    failed(cli(url, "workspace", "show", ghost), ghost)
    failed(cli(url, "workspace", "delete", ghost), ghost)
    failed(cli(url, "workspace", "delete", "default"))
    failed(cli(url, "workspace", "create", "Not Valid"))
    name = unique("cli-dup")
    ok(cli(url, "workspace", "create", name))
    failed(cli(url, "workspace", "create", name), name)
    failed(cli(url, "workspace", "show", ghost, output="json"), ghost)


# ---------------------------------------------------------------------------------------------
# experiments and runs
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def populated(server):
    """A workspace with two experiments and runs with metrics / params / tags (via REST)."""
    ws = unique("cli-data")
    assert requests.post(f"{server.url}/api/v1/workspaces", json={"name": ws},
                         timeout=10).status_code == 201
    api = Api(server.url, ws)
    e1 = api.create_experiment(unique("cli-exp1"))
    e2 = api.create_experiment(unique("cli-exp2"))
    good = api.create_run(e1, run_name="good-run", start_time=1732650000000)
    api.log_batch(good, metrics=[{"key": "acc", "value": 0.93, "timestamp": 1, "step": 0},
                                 {"key": "loss", "value": 0.125, "timestamp": 1, "step": 0}],
                  params=[{"key": "lr", "value": "0.01"}, {"key": "optimizer", "value": "adam"}],
                  tags=[{"key": "team", "value": "vision"}])
    bad = api.create_run(e1, run_name="bad-run", start_time=1732650001000)
    api.log_batch(bad, metrics=[{"key": "acc", "value": 0.25, "timestamp": 1, "step": 0}],
                  params=[{"key": "lr", "value": "1.0"}])
    other = api.create_run(e2, run_name="other-run")
    return {"ws": ws, "api": api, "e1": e1, "e2": e2, "good": good, "bad": bad, "other": other}


def test_experiment_list_table(server, populated):
    header, rows = table(ok(cli(server.url, "experiment", "-w", populated["ws"], "list")))
    assert header == ["ID", "NAME", "STAGE", "ARTIFACT LOCATION"]
    rest = {e["experiment_id"]: e for e in populated["api"].experiments("ACTIVE_ONLY")}
    assert {r[0] for r in rows} == set(rest) == {"0", populated["e1"], populated["e2"]}
    for r in rows:
        e = rest[r[0]]
        assert r[1:] == [e["name"], e["lifecycle_stage"], e["artifact_location"]]


def test_experiment_list_json(server, populated):
    out = ok_json(cli(server.url, "experiment", "-w", populated["ws"], "list", output="json"))
    ids = [e["experiment_id"] for e in out["experiments"]]
    assert sorted(ids) == sorted(["0", populated["e1"], populated["e2"]])
    rest = {e["experiment_id"]: e for e in populated["api"].experiments("ACTIVE_ONLY")}
    for e in out["experiments"]:
        assert e == rest[e["experiment_id"]]


def test_experiment_list_other_workspace_is_separate(server, populated):
    out = ok_json(cli(server.url, "experiment", "list", output="json"))  # default workspace
    ids = {e["experiment_id"] for e in out["experiments"]}
    assert populated["e1"] not in ids and populated["e2"] not in ids
    assert "0" in ids


def test_run_list_table(server, populated):
    header, rows = table(ok(cli(server.url, "run", "-w", populated["ws"], "list", "-e",
                                populated["e1"])))
    assert header == ["RUN ID", "NAME", "STATUS", "START", "EXPERIMENT"]
    assert sorted(rows) == sorted([
        [populated["good"], "good-run", "RUNNING", "1732650000000", populated["e1"]],
        [populated["bad"], "bad-run", "RUNNING", "1732650001000", populated["e1"]],
    ])


def test_run_list_json_and_filter(server, populated):
    ws, e1 = populated["ws"], populated["e1"]
    out = ok_json(cli(server.url, "run", "-w", ws, "list", "-e", e1, output="json"))
    assert sorted(r["info"]["run_id"] for r in out["runs"]) == sorted(
        [populated["good"], populated["bad"]])
    out = ok_json(cli(server.url, "run", "-w", ws, "list", "-e", e1, "--filter",
                      "metrics.acc > 0.5", output="json"))
    assert [r["info"]["run_id"] for r in out["runs"]] == [populated["good"]]
    out = ok_json(cli(server.url, "run", "-w", ws, "list", "-e", e1, "-e", populated["e2"],
                      "--filter", "params.lr = '1.0'", output="json"))
    assert [r["info"]["run_id"] for r in out["runs"]] == [populated["bad"]]
    _, rows = table(ok(cli(server.url, "run", "-w", ws, "list", "-e", e1, "--filter",
                           "metrics.acc < 0")))
    assert rows == []


def test_run_show_table(server, populated):
    out = ok(cli(server.url, "run", "-w", populated["ws"], "show", populated["good"]))
    lines = out.splitlines()
    assert f"run_id: {populated['good']}" in lines
    assert "run_name: good-run" in lines
    assert f"experiment_id: {populated['e1']}" in lines
    assert "status: RUNNING" in lines
    assert "start_time: 1732650000000" in lines
    assert not any(ln.startswith("end_time") for ln in lines)
    for section, entries in [("params", ["  lr = 0.01", "  optimizer = adam"]),
                             ("metrics", ["  acc = 0.93", "  loss = 0.125"]),
                             ("tags", ["  team = vision", "  mlflow.runName = good-run"])]:
        assert f"{section}:" in lines, out
        start = lines.index(f"{section}:") + 1
        block = []
        for ln in lines[start:]:
            if not ln.startswith("  "):
                break
            block.append(ln)
        for e in entries:
            assert e in block, (section, e, block)


def test_run_show_json(server, populated):
    out = ok_json(cli(server.url, "run", "-w", populated["ws"], "show", populated["good"],
                      output="json"))
    rest = populated["api"].ok(populated["api"].get("/runs/get", {"run_id": populated["good"]}))
    assert out == rest
    metrics = {m["key"]: m["value"] for m in out["run"]["data"]["metrics"]}
    assert metrics == {"acc": 0.93, "loss": 0.125}
    params = {p["key"]: p["value"] for p in out["run"]["data"]["params"]}
    assert params == {"lr": "0.01", "optimizer": "adam"}


def test_run_errors(server, populated):
    url, ws = server.url, populated["ws"]
    # A run of another workspace is unknown here.
    failed(cli(url, "run", "show", populated["good"]), populated["good"])
    failed(cli(url, "run", "-w", ws, "show", "0" * 32), "0" * 32)
    failed(cli(url, "run", "-w", ws, "list", "-e", populated["e1"], "--filter",
               "metrics.acc >"), "metrics.acc")
    failed(cli(url, "run", "-w", ws, "list", "-e", populated["e1"], "--filter",
               "a = 1 OR b = 2"))


def test_unknown_workspace(server):
    ghost = unique("ghost")
    failed(cli(server.url, "experiment", "-w", ghost, "list"), ghost)
    failed(cli(server.url, "run", "-w", ghost, "list", "-e", "0"), ghost)
    failed(cli(server.url, "run", "-w", ghost, "show", "0" * 32), ghost)
    failed(cli(server.url, "experiment", "-w", ghost, "list", output="json"), ghost)


def _closed_port() -> int:
    port = free_port()
    with socket.socket() as s:  # confirm nothing listens there
        assert s.connect_ex(("127.0.0.1", port)) != 0
    return port


@pytest.mark.parametrize("args", [["workspace", "list"], ["workspace", "show", "default"],
                                  ["experiment", "list"], ["run", "list", "-e", "0"],
                                  ["run", "show", "0" * 32]])
def test_unreachable_url(args):
    url = f"http://127.0.0.1:{_closed_port()}"
    err = failed(cli(url, *args, timeout=30))
    assert url.split("//")[1] in err, err
    err = failed(cli(url, *args, output="json", timeout=30))
    assert url.split("//")[1] in err, err


def test_url_from_environment(server, monkeypatch):
    proc = subprocess.run([wait_for_binary(), "-o", "json", "workspace", "show", "default"],
                          capture_output=True, text=True, timeout=60,
                          env={"MLWS_URL": server.url, "PATH": "/usr/bin:/bin"})
    assert ok_json(proc)["workspace"]["name"] == "default"


# ---------------------------------------------------------------------------------------------
# global options anywhere on the line (as `az` takes them)
# ---------------------------------------------------------------------------------------------


def test_global_options_are_accepted_after_the_verb(server):
    name = unique("anywhere")
    exe = wait_for_binary()
    run = lambda *a: subprocess.run([exe, *a], capture_output=True, text=True,  # noqa: E731
                                    timeout=60, stdin=subprocess.DEVNULL)
    ok(run("workspace", "create", name, "--url", server.url))
    header, rows = table(ok(run("workspace", "list", "-o", "table", "--url", server.url)))
    assert header[0] == "NAME" and name in [r[0] for r in rows]
    listed = ok_json(run("workspace", "list", "--url", server.url, "--output", "json"))
    assert name in [w["name"] for w in listed["workspaces"]]
    # The README's own example: `mlws data list -o table`.
    header, _ = table(ok(run("data", "list", "-o", "table", "--url", server.url)))
    assert header[:2] == ["NAME", "VERSION"]
    # A bad value is still refused, wherever it stands.
    bad = run("workspace", "list", "-o", "xml", "--url", server.url)
    assert bad.returncode != 0 and "xml" in bad.stderr
