"""Cost over time (docs/quotas.md#cost-over-time): jobs of two users in two experiments, on a
priced compute; the series per day/week by user, experiment and workspace add up to the jobs'
recorded durations × nodes × price; the CLI prints it as a table and as CSV; bad queries are
400."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io

import pytest
import requests

import mlws

from conftest import assert_error
from jobs_util import cli, ok, wait_status

PW = "correct horse battery"
PRICE = 36.0  # per node-hour: 0.01 per node-second


def basic(user: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PW}".encode()).decode()}


def day_of(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server with users ann (Owner) and ben (Data Scientist), each with finished jobs."""
    from conftest import MlwsServer
    base = tmp_path_factory.mktemp("mlws-cost")
    srv = MlwsServer(base / "home", log_dir=base, env={"MLWS_LOCAL_SLOTS": "4"}).start()
    url = srv.url
    for user in ("ann", "ben"):
        r = requests.post(f"{url}/api/v1/users", json={"name": user, "password": PW},
                          headers=basic("ann") if user != "ann" else None, timeout=10)
        assert r.status_code == 201, r.text
    for ws in ("default", "other"):
        if ws != "default":
            r = requests.post(f"{url}/api/v1/workspaces", json={"name": ws},
                              headers=basic("ann"), timeout=10)
            assert r.status_code == 201, r.text
        r = requests.post(f"{url}/api/v1/role-assignments", headers=basic("ann"), timeout=10,
                          json={"user": "ben", "role": "AzureML Data Scientist", "workspace": ws})
        assert r.status_code == 201, r.text
        r = requests.post(f"{url}/api/v1/workspaces/{ws}/computes", headers=basic("ann"),
                          timeout=10, json={"name": "paid", "type": "amlcompute",
                                            "max_instances": 4, "price_per_node_hour": PRICE})
        assert r.status_code == 201, r.text
    runs = [("ann", "default", "exp-a", 1), ("ann", "default", "exp-b", 2),
            ("ben", "default", "exp-a", 1), ("ben", "other", "exp-a", 1)]
    names = []
    for user, ws, exp, nodes in runs:
        r = requests.post(f"{url}/api/v1/workspaces/{ws}/jobs", headers=basic(user), timeout=30,
                          json={"command": "sleep 0.2", "compute": "paid",
                                "experiment_name": exp, "resources": {"instance_count": nodes}})
        assert r.status_code == 201, r.text
        names.append((ws, r.json()["name"]))
    jobs = [wait_status(url, n, "Completed", ws, headers=basic("ann")) for ws, n in names]
    yield srv, jobs
    srv.stop()


def expected_ns(jobs, **match) -> float:
    return sum((j["ended_at"] - j["started_at"]) / 1000 * j["instance_count"] for j in jobs
               if all(j[k] == v for k, v in match.items()))


def series(url: str, path: str = "/api/v1/workspaces/default/cost/series", **params) -> dict:
    r = requests.get(url + path, params=params, headers=basic("ann"), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_cost_per_day_by_user_adds_up_to_the_jobs_durations(world):
    srv, jobs = world
    default = jobs[:3]  # the fourth ran in workspace "other"
    s = series(srv.url, by="user", per="day")
    assert s["by"] == "user" and s["per"] == "day" and s["currency"] == "USD"
    assert day_of(jobs[0]["started_at"]) in s["periods"]
    lines = {line["key"]: line for line in s["series"]}
    assert set(lines) == {"ann", "ben"}
    for user in ("ann", "ben"):
        want = expected_ns(default, owner=user)
        assert sum(lines[user]["node_seconds"]) == pytest.approx(want, abs=0.01)
        assert lines[user]["total_cost"] == pytest.approx(want * PRICE / 3600, abs=1e-4)
        assert len(lines[user]["node_seconds"]) == len(s["periods"])
    # ann's two-node job counts twice its duration
    assert lines["ann"]["total_node_seconds"] > lines["ben"]["total_node_seconds"]
    assert s["series"][0]["key"] == "ann"  # most expensive first


def test_cost_per_week_by_experiment_and_server_wide_by_workspace(world):
    srv, jobs = world
    s = series(srv.url, by="experiment", per="week")
    monday = dt.datetime.fromtimestamp(jobs[0]["started_at"] / 1000, dt.timezone.utc).date()
    monday -= dt.timedelta(days=monday.weekday())
    assert s["periods"][-1] == monday.isoformat() or monday.isoformat() in s["periods"]
    names = {line["name"]: line["total_node_seconds"] for line in s["series"]}
    assert names["exp-b"] == pytest.approx(expected_ns(jobs[:3], experiment_name="exp-b"),
                                           abs=0.01)
    assert names["exp-a"] == pytest.approx(expected_ns(jobs[:3], experiment_name="exp-a"),
                                           abs=0.01)
    everywhere = series(srv.url, "/api/v1/cost/series", by="workspace", per="total")
    assert everywhere["periods"] == ["total"]
    per_ws = {line["key"]: line["total_node_seconds"] for line in everywhere["series"]}
    assert per_ws["other"] == pytest.approx(expected_ns(jobs[3:]), abs=0.01)
    assert per_ws["default"] == pytest.approx(expected_ns(jobs[:3]), abs=0.01)


def test_cli_table_and_csv(world):
    srv, jobs = world
    env = {"MLWS_TOKEN": "", "HOME": str(srv.home)}  # no saved login: the token given
    token = requests.post(f"{srv.url}/api/v1/tokens", json={"name": "cli"},
                          headers=basic("ann"), timeout=10).json()["secret"]
    table = ok(cli(srv.url, "--token", token, "cost", "show", "--by", "user", "--per", "day",
                   env=env))
    header = table.splitlines()[0].split()
    assert header[:2] == ["PERIOD", "USER"] and "COST" in header
    assert any(line.split()[1] == "ben" for line in table.splitlines()[1:])
    out = ok(cli(srv.url, "--token", token, "-o", "csv", "cost", "show", "--by", "user",
                 "--per", "day", env=env))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["USER"] for r in rows} == {"ann", "ben"}
    ann_hours = sum(float(r["NODE HOURS"]) for r in rows if r["USER"] == "ann")
    assert ann_hours * 3600 == pytest.approx(expected_ns(jobs[:3], owner="ann"), abs=0.05)
    assert {r["PERIOD"] for r in rows} >= {day_of(jobs[0]["started_at"])} or \
        day_of(jobs[0]["ended_at"]) in {r["PERIOD"] for r in rows}
    # The SDK reads the same series.
    sdk = mlws.MLClient(srv.url, "default", token).cost.series(by="user", per="day")
    assert {line["key"] for line in sdk["series"]} == {"ann", "ben"}
    # Without --by/--per: the report per experiment, as before.
    plain = ok(cli(srv.url, "--token", token, "cost", "show", env=env))
    assert plain.splitlines()[0].split()[:2] == ["EXPERIMENT", "ID"]


@pytest.mark.parametrize("params,part", [
    ({"by": "team"}, "'by'"),
    ({"per": "hour"}, "'per'"),
    ({"from": "last-week"}, "'from'"),
    ({"to": "2026-02-30"}, "'to'"),
    ({"from": "2026-12-05", "to": "2026-12-01"}, "'from' must not be after 'to'"),
    ({"per": "day", "from": "2020-01-01", "to": "2026-01-01"}, "more than 1000 periods"),
])
def test_bad_cost_queries_are_400(world, params, part):
    srv, _ = world
    r = requests.get(f"{srv.url}/api/v1/workspaces/default/cost/series", params=params,
                     headers=basic("ann"), timeout=10)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", part)
