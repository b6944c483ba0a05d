"""Early termination through the CLI: bandit, median_stopping and truncation_selection stop
exactly the trials, at exactly the intervals, that the rules of docs/sweeps.md say (the tables
below are worked out by hand there), with the policy's reason on the canceled trial."""

from __future__ import annotations

import math

import pytest
import yaml

from conftest import MlwsServer
from jobs_util import cli, ok, ok_json, wait_status
from test_sweeps import all_jobs


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-sweeps-et")
    srv = MlwsServer(base / "home", log_dir=base, env={"MLWS_LOCAL_SLOTS": "4"})
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


# Four trials (grid order A, B, C, D; one at a time) logging `loss` once per interval; minimize.
CURVES = {
    "A": [1.0, 0.8, 0.6, 0.5],
    "B": [1.2, 1.1, 1.0, 0.9],
    "C": [0.9, 0.7, 0.55, 0.4],
    "D": [1.0, 0.95, 0.9, 0.85],
}

# policy -> {trial: the interval it is stopped at}; every other trial runs to its end.
CASES = {
    # B@2: best up to 2 is A's 0.8, limit 0.8 + 0.28 = 1.08 < 1.1.  D@3: best up to 3 is C's
    # 0.55, limit 0.83 < 0.9 (at 2 D's 0.95 is within C's 0.7 + 0.28 = 0.98).
    "bandit": ({"type": "bandit", "slack_amount": 0.28}, {"B": 2, "D": 3}),
    # B@1: running averages A 1.0, B 1.2, median 1.1 < 1.2.  D@1: median of 0.9, 1.0, 1.0, 1.2
    # is 1.0, not strictly better than D's 1.0; D@2: averages 0.9, 1.2, 0.8, 0.975, median
    # 0.9375 < 0.95.
    "median": ({"type": "median_stopping", "delay_evaluation": 1}, {"B": 1, "D": 2}),
    # Judged from interval 2: B among A, B: the lowest 50% (1 of 2); C never; D among A 0.8,
    # B 1.1, C 0.7, D 0.95: A and C are better, D is in the lowest 2 of 4.
    "trunc": ({"type": "truncation_selection", "truncation_percentage": 50,
               "evaluation_interval": 1, "delay_evaluation": 2}, {"B": 2, "D": 2}),
    # Finished trials excluded: each trial runs alone, and the lowest 50% of one trial is none.
    "trunc_excl": ({"type": "truncation_selection", "truncation_percentage": 50,
                    "delay_evaluation": 2, "exclude_finished_jobs": True}, {}),
}

TRIAL = ("python3 -c \"import mlws_log; c = " + repr(CURVES).replace('"', "'") +
         "['${{search_space.t}}']; [mlws_log.log_metric('loss', v, step=i) "
         "for i, v in enumerate(c)]\"")


def test_each_policy_stops_the_trials_its_rule_says(server, tmp_path):
    for name, (policy, _) in CASES.items():
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump({
            "type": "sweep", "name": f"et_{name}",
            "trial": {"command": TRIAL},
            "search_space": {"t": {"type": "choice", "values": list(CURVES)}},
            "sampling_algorithm": "grid",
            "objective": {"goal": "minimize", "primary_metric": "loss"},
            "early_termination": policy,
            "limits": {"max_concurrent_trials": 1},
        }))
        created = ok_json(cli(server.url, "job", "create", "-f", str(path), output="json"))
        assert created["status"] == "Running", created
    for name, (policy, stops) in CASES.items():
        done = wait_status(server.url, f"et_{name}", ("Completed", "Failed", "Canceled"),
                           timeout=180)
        assert done["status"] == "Completed", done
        by_letter = {t["params"]["t"]: t for t in done["trials"]}
        assert set(by_letter) == set(CURVES)
        for letter, t in by_letter.items():
            if letter in stops:
                k = stops[letter]
                assert t["status"] == "Canceled", (name, letter, t)
                assert t["stopped_at_interval"] == k, (name, letter, t)
                assert t["error"].startswith(
                    f"Early termination ({policy['type']}) at interval {k}:"), t
                # The objective of a stopped trial is its last value before the stop.
                assert math.isclose(t["value"], CURVES[letter][k - 1]), (name, letter, t)
                shown = ok(cli(server.url, "job", "show", t["job"]))
                assert f"error: Early termination ({policy['type']}) at interval {k}:" in shown
            else:
                assert t["status"] == "Completed", (name, letter, t)
                assert "stopped_at_interval" not in t
                assert math.isclose(t["value"], CURVES[letter][-1]), (name, letter, t)
        assert done["best_value"] == 0.4 and by_letter["C"]["job"] == done["best_trial"]
        # The sweep's own listing names the reasons too.
        table = ok(cli(server.url, "job", "show", f"et_{name}"))
        assert table.count("Early termination") == len(stops), table


BAD = [
    ({"type": "hyperband"}, "Unknown early_termination type 'hyperband'"),
    ({"type": "bandit"}, "exactly one of"),
    ({"type": "truncation_selection", "truncation_percentage": 0}, "truncation_percentage"),
    ({"type": "median_stopping", "evaluation_interval": "often"}, "evaluation_interval"),
]


@pytest.mark.parametrize("policy,message", BAD)
def test_bad_policies_create_nothing(server, tmp_path, policy, message):
    before = all_jobs(server.url)
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({
        "type": "sweep", "trial": {"command": "echo ${{search_space.x}}"},
        "search_space": {"x": {"type": "choice", "values": [1]}},
        "objective": {"goal": "minimize", "primary_metric": "loss"},
        "early_termination": policy,
    }))
    proc = cli(server.url, "job", "create", "-f", str(path))
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert len(all_jobs(server.url)) == len(before)
