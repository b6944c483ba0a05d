"""Bayesian sweeps through the CLI (Optuna's TPE in the python/mlws_sweep helper, from
.venv-optuna as scripts/venv.sh builds it), and trials that run a registered component."""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import ML, MlwsServer
from jobs_util import GATE, cli, get_job, ok, ok_json, open_gate, wait_status
from test_sweeps import EVERY_DISTRIBUTION, all_jobs, check_every_distribution

REPO = Path(__file__).resolve().parents[2]
OPTUNA_PYTHON = REPO / ".venv-optuna" / "bin" / "python"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert OPTUNA_PYTHON.exists(), "run scripts/venv.sh: .venv-optuna is missing"
    base = tmp_path_factory.mktemp("mlws-sweeps-bayes")
    srv = MlwsServer(base / "home", log_dir=base,
                     env={"MLWS_LOCAL_SLOTS": "4", "MLWS_SWEEP_PYTHON": str(OPTUNA_PYTHON)})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def helpers(srv: MlwsServer) -> list[int]:
    """Pids of the server's mlws_sweep helper processes."""
    out = subprocess.run(["pgrep", "-P", str(srv.proc.pid), "-f", "mlws_sweep"],
                         capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_bayesian_sweep_runs_to_max_total_trials_in_range(server, tmp_path):
    path = tmp_path / "bayes.yml"
    path.write_text(yaml.safe_dump({
        "type": "sweep", "name": "bayes1",
        "trial": {"command": "python3 -c \"import mlws_log; "
                             "mlws_log.log_metric('loss', (${{search_space.u}} - 0.3) ** 2)\""},
        "search_space": EVERY_DISTRIBUTION,
        "sampling_algorithm": "bayesian",
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "limits": {"max_total_trials": 8, "max_concurrent_trials": 2},
    }))
    created = ok_json(cli(server.url, "job", "create", "-f", str(path), output="json"))
    assert created["status"] == "Running"
    done = wait_status(server.url, "bayes1", ("Completed", "Failed", "Canceled"), timeout=240)
    assert done["status"] == "Completed", done
    assert done["sampling_algorithm"] == "bayesian"
    assert len(done["trials"]) == 8 and all(t["status"] == "Completed" for t in done["trials"])
    points = set()
    for t in done["trials"]:
        p = t["params"]
        check_every_distribution(p)
        assert math.isclose(t["value"], (p["u"] - 0.3) ** 2)
        points.add(p["u"])
    assert len(points) == 8  # eight distinct points
    assert done["best_value"] == min(t["value"] for t in done["trials"])
    # The helper ended with the sweep.
    assert helpers(server) == []


def test_bayesian_without_optuna_is_refused_and_creates_nothing(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path,
                     env={"MLWS_SWEEP_PYTHON": "/usr/bin/python3"})
    srv.start()
    try:
        path = tmp_path / "bayes.yml"
        path.write_text(yaml.safe_dump({
            "type": "sweep", "name": "nobayes", "trial": {"command": "echo ${{search_space.x}}"},
            "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
            "sampling_algorithm": "bayesian",
            "objective": {"goal": "minimize", "primary_metric": "loss"},
            "limits": {"max_total_trials": 2},
        }))
        proc = cli(srv.url, "job", "create", "-f", str(path))
        assert proc.returncode != 0
        assert "Bayesian sampling needs a Python with optuna" in proc.stderr, proc.stderr
        assert "MLWS_SWEEP_PYTHON" in proc.stderr
        assert all_jobs(srv.url) == []
    finally:
        assert srv.stop() == 0, srv.stderr()


COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: sweep_train
version: "{version}"
type: command
inputs:
  lr: {{type: number}}
  scale: {{type: number, default: {scale}}}
code: ./src
environment:
  image: python
command: python train.py --lr ${{{{inputs.lr}}}} --scale ${{{{inputs.scale}}}}
"""

TRAIN = """\
import argparse, mlws_log
p = argparse.ArgumentParser(); p.add_argument("--lr", type=float); p.add_argument("--scale", type=float)
a = p.parse_args()
mlws_log.log_metric("loss", a.lr * a.scale)
"""


def test_trials_of_a_registered_component(server, tmp_path):
    for version, scale in (("1", 10), ("2", 100)):
        d = tmp_path / f"c{version}"
        (d / "src").mkdir(parents=True)
        (d / "src" / "train.py").write_text(TRAIN)
        (d / "component.yml").write_text(COMPONENT.format(version=version, scale=scale))
        ok(cli(server.url, "component", "create", "-f", str(d / "component.yml")))
    for name, ref, scale in (("comp_v1", "azureml:sweep_train:1", 10),
                             ("comp_latest", "azureml:sweep_train@latest", 100)):
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump({
            "type": "sweep", "name": name, "trial": ref,
            "search_space": {"lr": {"type": "choice", "values": [0.1, 0.2]}},
            "sampling_algorithm": "grid",
            "objective": {"goal": "minimize", "primary_metric": "loss"},
        }))
        ok(cli(server.url, "job", "create", "-f", str(path)))
        done = wait_status(server.url, name, ("Completed", "Failed", "Canceled"), timeout=180)
        assert done["status"] == "Completed", done
        values = sorted((t["params"]["lr"], t["value"]) for t in done["trials"])
        assert values == [(0.1, pytest.approx(0.1 * scale)), (0.2, pytest.approx(0.2 * scale))]
    path = tmp_path / "nocomp.yml"
    path.write_text(yaml.safe_dump({
        "type": "sweep", "trial": "azureml:no_such_component:1",
        "search_space": {"lr": {"type": "choice", "values": [0.1]}},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
    }))
    proc = cli(server.url, "job", "create", "-f", str(path))
    assert proc.returncode != 0 and "no_such_component" in proc.stderr, proc.stderr


def test_a_bayesian_sweep_with_early_termination_continues_after_a_restart(tmp_path):
    """Stopped while trial 0 runs (it logged its value and waits on a gate): the restarted
    server replays the study (trial 0 keeps its point), reads trial 0's curve back for the
    policy (median_stopping: trial 1 stops exactly when its value is above trial 0's), and the
    sweep runs to max_total_trials with a new helper."""
    env = {"MLWS_LOCAL_SLOTS": "2", "MLWS_SWEEP_PYTHON": str(OPTUNA_PYTHON)}
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, env=env).start()
    path = tmp_path / "restart.yml"
    path.write_text(yaml.safe_dump({
        "type": "sweep", "name": "bayes_restart",
        "trial": {"command": "python3 -c \"import mlws_log; "
                             "mlws_log.log_metric('loss', ${{search_space.u}})\"; " + GATE},
        "search_space": {"u": {"type": "uniform", "min_value": 0, "max_value": 1}},
        "sampling_algorithm": "bayesian",
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "early_termination": {"type": "median_stopping"},
        "limits": {"max_total_trials": 3, "max_concurrent_trials": 1},
    }))
    try:
        ok(cli(srv.url, "job", "create", "-f", str(path)))
        first = wait_trial(srv.url, "bayes_restart", 0)
        point = first["params"]["u"]
        wait_metric(srv.url, first["run_id"], "loss")
        assert srv.stop() == 0, srv.stderr()
        srv = MlwsServer(srv.home, log_dir=tmp_path, port=srv.port, env=env).start()
        for i in range(3):
            open_gate(srv.url, wait_trial(srv.url, "bayes_restart", i))
        done = wait_status(srv.url, "bayes_restart", ("Completed", "Failed", "Canceled"),
                           timeout=180)
        assert done["status"] == "Completed", done
        assert len(done["trials"]) == 3
        t = {row["index"]: row for row in done["trials"]}
        assert t[0]["params"]["u"] == point and t[0]["value"] == point
        assert t[0]["status"] == "Completed"
        u = [t[i]["params"]["u"] for i in range(3)]
        assert all(0 <= x <= 1 for x in u)
        assert (t[1]["status"] == "Canceled") == (u[1] > u[0]), t[1]
        assert (t[2]["status"] == "Canceled") == (u[2] > sorted(u)[1]), t[2]
        assert helpers(srv) == []
    finally:
        srv.stop()


def wait_trial(url: str, sweep: str, index: int, timeout: float = 120) -> dict:
    """Trial `index` of the sweep (its row) once its job has started (or already ended)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = {t["index"]: t for t in get_job(url, sweep)["trials"]}
        if index in rows and get_job(url, rows[index]["job"])["status"] != "Queued":
            return rows[index]
        assert time.monotonic() < deadline, f"sweep {sweep}: {rows}"
        time.sleep(0.05)


def wait_metric(url: str, run_id: str, key: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(f"{url}{ML}/runs/get", params={"run_id": run_id}, timeout=10)
        if any(m["key"] == key for m in r.json()["run"]["data"].get("metrics", [])):
            return
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)
