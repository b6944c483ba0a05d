"""Sweep jobs through the CLI: random (seeded, and the Sobol rule), grid, every distribution,
limits, the objective and the best trial, trials as child runs with their sampled values as
params, cancel, and bad sweeps that create nothing."""

from __future__ import annotations

import math
import os
import shutil
import textwrap
import time

import pytest
import requests
import yaml

from conftest import ML, MlwsServer
from jobs_util import EXAMPLES, cli, get_job, ok, ok_json, wait_status


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-sweeps")
    srv = MlwsServer(base / "home", log_dir=base, env={"MLWS_LOCAL_SLOTS": "4"})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


# A trial that logs `loss` = its value of x (or of the expression given).
def trial(metric_expr: str = "${{search_space.x}}", metric: str = "loss") -> dict:
    return {"command": f"python3 -c \"import mlws_log; mlws_log.log_metric('{metric}', "
                       f"float({metric_expr}))\""}


def sweep_yaml(folder, name: str, spec: dict):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump({"type": "sweep", "name": name, **spec}))
    return path


def run_sweep(url: str, folder, name: str, spec: dict, status: str = "Completed") -> dict:
    created = ok_json(cli(url, "job", "create", "-f", str(sweep_yaml(folder, name, spec)),
                          output="json"))
    assert created["type"] == "sweep" and created["status"] == "Running", created
    done = wait_status(url, name, ("Completed", "Failed", "Canceled"), timeout=120)
    assert done["status"] == status, done
    return done


def run_of(url: str, run_id: str) -> dict:
    r = requests.get(f"{url}{ML}/runs/get", params={"run_id": run_id}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["run"]


def test_random_sweep_trials_are_child_runs_and_best_is_found(server, tmp_path):
    done = run_sweep(server.url, tmp_path, "rand1", {
        "trial": trial(),
        "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 10}},
        "sampling_algorithm": {"type": "random", "seed": 7},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "limits": {"max_total_trials": 6, "max_concurrent_trials": 2},
    })
    trials = done["trials"]
    assert len(trials) == 6 and all(t["status"] == "Completed" for t in trials)
    values = [t["value"] for t in trials]
    assert values == sorted(values)  # best first
    assert done["best_trial"] == trials[0]["job"] and done["best_value"] == values[0]
    parent = run_of(server.url, done["run_id"])
    parent_tags = {t["key"]: t["value"] for t in parent["data"]["tags"]}
    assert parent_tags["mlws.sweep.best_trial"] == trials[0]["job"]
    spans = []
    for t in trials:
        assert 0 <= t["params"]["x"] <= 10 and math.isclose(t["value"], t["params"]["x"])
        run = run_of(server.url, t["run_id"])
        tags = {x["key"]: x["value"] for x in run["data"]["tags"]}
        assert tags["mlflow.parentRunId"] == done["run_id"]
        params = {p["key"]: p["value"] for p in run["data"]["params"]}
        assert math.isclose(float(params["x"]), t["params"]["x"])
        job = get_job(server.url, t["job"])
        spans.append((job["started_at"], job["ended_at"]))
    # max_concurrent_trials: never more than 2 trials running at once.
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2
    # The CLI lists the trials sorted by the objective.
    table = ok(cli(server.url, "job", "show", "rand1"))
    assert f"best trial: {trials[0]['job']}" in table
    assert table.index(trials[0]["job"] + " ") < table.index(trials[-1]["job"] + " ")
    # Same seed, same points.
    again = run_sweep(server.url, tmp_path, "rand2", {
        "trial": trial(),
        "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 10}},
        "sampling_algorithm": {"type": "random", "seed": 7},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "limits": {"max_total_trials": 6, "max_concurrent_trials": 3},
    })
    assert sorted(t["params"]["x"] for t in again["trials"]) == \
        sorted(t["params"]["x"] for t in trials)


def test_grid_sweep_runs_every_combination_once(server, tmp_path):
    done = run_sweep(server.url, tmp_path, "grid1", {
        "trial": trial("${{search_space.a}} * (2 if '${{search_space.b}}' == 'q' else 1)",
                       "score"),
        "search_space": {"a": {"type": "choice", "values": [1, 2, 3]},
                         "b": {"type": "choice", "values": ["p", "q"]}},
        "sampling_algorithm": "grid",
        "objective": {"goal": "maximize", "primary_metric": "score"},
        "limits": {"max_total_trials": 100},
    })
    combos = sorted((t["params"]["a"], t["params"]["b"]) for t in done["trials"])
    assert combos == [(1, "p"), (1, "q"), (2, "p"), (2, "q"), (3, "p"), (3, "q")]
    assert done["best_value"] == 6.0 and done["trials"][0]["params"] == {"a": 3, "b": "q"}
    assert done["limits"]["max_total_trials"] == 100  # as written; 6 grid points ran


# Every distribution (test_sweeps_bayesian.py samples the same space).
EVERY_DISTRIBUTION = {
    "c": {"type": "choice", "values": ["x", "y", 3]},
    "ri": {"type": "randint", "upper": 5},
    "u": {"type": "uniform", "min_value": -1, "max_value": 1},
    "qu": {"type": "quniform", "min_value": 0, "max_value": 10, "q": 2.5},
    "lu": {"type": "loguniform", "min_value": -3, "max_value": 0},
    "qlu": {"type": "qloguniform", "min_value": 0, "max_value": 3, "q": 1},
    "n": {"type": "normal", "mu": 5, "sigma": 0.1},
    "qn": {"type": "qnormal", "mu": 100, "sigma": 1, "q": 10},
    "ln": {"type": "lognormal", "mu": 0, "sigma": 0.1},
    "qln": {"type": "qlognormal", "mu": 2, "sigma": 0.1, "q": 0.5},
}


def check_every_distribution(p: dict) -> None:
    """A trial's values of EVERY_DISTRIBUTION lie in their ranges (and on their q grids)."""
    assert p["c"] in ("x", "y", 3)
    assert p["ri"] in range(5)
    assert -1 <= p["u"] <= 1
    assert p["qu"] in (0, 2.5, 5, 7.5, 10)
    assert math.exp(-3) <= p["lu"] <= 1
    assert p["qlu"] == round(p["qlu"]) and 1 <= p["qlu"] <= round(math.exp(3))
    assert 4 < p["n"] < 6
    assert p["qn"] % 10 == 0 and 90 <= p["qn"] <= 110
    assert 0.5 < p["ln"] < 2
    assert (p["qln"] * 2) == round(p["qln"] * 2) and 4 <= p["qln"] <= 12


def all_jobs(url: str) -> list:
    r = requests.get(f"{url}/api/v1/workspaces/default/jobs", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["value"]


def test_every_distribution_and_the_sobol_rule(server, tmp_path):
    for rule in ("random", "sobol"):
        done = run_sweep(server.url, tmp_path, f"dists_{rule}", {
            "trial": trial("${{search_space.u}}", "m"),
            "search_space": EVERY_DISTRIBUTION,
            "sampling_algorithm": {"type": "random", "rule": rule, "seed": 3},
            "objective": {"goal": "minimize", "primary_metric": "m"},
            "limits": {"max_total_trials": 8, "max_concurrent_trials": 4},
        })
        for t in done["trials"]:
            check_every_distribution(t["params"])
        if rule == "sobol":
            # A low-discrepancy sequence: the eight u values are spread, none repeated.
            us = sorted(t["params"]["u"] for t in done["trials"])
            assert len(set(us)) == 8 and us[0] <= -0.5 and us[-1] >= 0.5


def test_objective_never_logged_fails_the_sweep(server, tmp_path):
    done = run_sweep(server.url, tmp_path, "nometric", {
        "trial": {"command": "echo ${{search_space.x}}"},
        "search_space": {"x": {"type": "choice", "values": [1, 2]}},
        "sampling_algorithm": "grid",
        "objective": {"goal": "minimize", "primary_metric": "accuracy"},
    }, status="Failed")
    assert "No trial logged the objective's primary metric 'accuracy'" in done["error"]
    assert all(t["status"] == "Completed" and "value" not in t for t in done["trials"])


def wait_trials_running(url: str, sweep: str, n: int, timeout: float = 120) -> list:
    """The sweep's trials once `n` of them run (each trial's own job says Running)."""
    deadline = time.monotonic() + timeout
    while True:
        trials = get_job(url, sweep)["trials"]
        running = [t for t in trials if get_job(url, t["job"])["status"] == "Running"]
        if len(running) >= n:
            return trials
        assert time.monotonic() < deadline, f"sweep {sweep}: {trials}"
        time.sleep(0.05)


def test_cancel_a_sweep_cancels_its_trials(server, tmp_path):
    """Canceled while two trials run: the sweep ends Canceled and each trial's own job is
    Canceled in the store. (A cancel racing a trial's end once left a stale Running row that
    kept the sweep Running: the trial's final state now always lands last.)"""
    sweep_yaml(tmp_path, "long", {
        "trial": {"command": "sleep 300 # ${{search_space.x}}"},
        "search_space": {"x": {"type": "randint", "upper": 100}},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "limits": {"max_total_trials": 5, "max_concurrent_trials": 2},
    })
    ok(cli(server.url, "job", "create", "-f", str(tmp_path / "long.yml")))
    trials = wait_trials_running(server.url, "long", 2)
    assert len(trials) == 2
    assert get_job(server.url, trials[0]["job"])["tags"]["mlws.sweep.name"] == "long"
    ok(cli(server.url, "job", "cancel", "long"))
    done = wait_status(server.url, "long", ("Completed", "Failed", "Canceled"), timeout=120)
    assert done["status"] == "Canceled", done
    assert len(done["trials"]) == 2 and all(t["status"] == "Canceled" for t in done["trials"])
    for t in done["trials"]:
        job = get_job(server.url, t["job"])
        assert job["status"] == "Canceled" and job["ended_at"], job


BAD = [
    ({"search_space": {"x": {"type": "gamma", "alpha": 1}}}, 400, "Unknown distribution 'gamma'"),
    ({"sampling_algorithm": "grid"}, 400, "Grid sampling takes choice parameters only"),
    ({"objective": {"goal": "minimize"}}, 400, "primary_metric"),
    ({"objective": {"goal": "sideways", "primary_metric": "m"}}, 400, "goal"),
    ({"search_space": {"x": {"type": "uniform", "min_value": 2, "max_value": 1}}}, 400,
     "min_value must be below max_value"),
    ({"trial": {"command": "echo ${{search_space.nope}}"}}, 400, "nope"),
    ({"inputs": {"x": 1}}, 400, "both an input and a search_space parameter"),
    ({"limits": {"max_total_trials": 0}}, 400, "max_total_trials"),
    ({"sampling_algorithm": {"type": "random", "rule": "halton"}}, 400, "rule"),
    ({"sampling_algorithm": "bayesian", "early_termination": {"type": "median_stopping",
                                                              "slack_factor": 1}}, 400,
     "early_termination.slack_factor"),
]


@pytest.mark.parametrize("change,status,message", BAD)
def test_bad_sweeps_create_nothing(server, change, status, message):
    before = all_jobs(server.url)
    spec = {"type": "sweep", "trial": trial(),
            "search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
            "objective": {"goal": "minimize", "primary_metric": "loss"},
            "limits": {"max_total_trials": 2}, **change}
    r = requests.post(f"{server.url}/api/v1/workspaces/default/jobs", json=spec, timeout=10)
    assert r.status_code == status, r.text
    assert message in r.json()["message"], r.json()
    assert len(all_jobs(server.url)) == len(before)


def test_hello_sweep_example_unmodified(server, tmp_path):
    """hello-sweep.yml as Azure ML ships it: a code folder, the curated sklearn environment,
    random sampling over a choice and a uniform, 4 trials, 2 at a time."""
    if os.environ.get("MLWS_SKIP_ENV_BUILD"):
        pytest.skip("MLWS_SKIP_ENV_BUILD set: the curated environment needs PyPI")
    shutil.copy(EXAMPLES / "hello-sweep.yml", tmp_path / "hello-sweep.yml")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello-sweep.py").write_text(textwrap.dedent("""\
        import argparse, random, mlflow
        p = argparse.ArgumentParser()
        p.add_argument("--A", type=float); p.add_argument("--B"); p.add_argument("--C", type=float)
        a = p.parse_args()
        assert a.A == 0.5 and a.B in ("hello", "world", "hello_world") and 0.1 <= a.C <= 1.0
        mlflow.log_metric("random_metric", random.random())
        """))
    job = ok_json(cli(server.url, "job", "create", "-f", str(tmp_path / "hello-sweep.yml"),
                      output="json", timeout=900))
    done = wait_status(server.url, job["name"], ("Completed", "Failed", "Canceled"), timeout=900)
    assert done["status"] == "Completed", done
    assert done["experiment_name"] == "hello-sweep-example"
    assert len(done["trials"]) == 4
    assert all({"B", "C"} <= set(t["params"]) for t in done["trials"])
