"""Schedules through the CLI: Azure ML's example schedule YAMLs unmodified, cron and recurrence
fire times in their time zone, firing on a fake clock (MLWS_SCHEDULE_CLOCK_FILE), the missed-fire
rule, enable/disable, a restart, and bad schedules that create nothing."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import yaml

from conftest import MlwsServer
from jobs_util import DATA, cli, ok, ok_json, wait_status

SCHEDULES = DATA / "schedules"


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def iso(ms_: int) -> str:
    return datetime.fromtimestamp(ms_ / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Clock:
    """The server's schedule clock: a file holding ms since the epoch."""

    def __init__(self, path: Path, start: str):
        self.path = path
        self.set(start)

    def set(self, when: str) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(str(ms(when)))
        tmp.replace(self.path)


@pytest.fixture
def clock(tmp_path):
    return Clock(tmp_path / "clock", "2026-07-01T12:34:00Z")


@pytest.fixture
def srv(spawn, clock):
    return spawn(env={"MLWS_SCHEDULE_CLOCK_FILE": str(clock.path)})


def sched_url(url: str, name: str = "") -> str:
    return f"{url}/api/v1/workspaces/default/schedules" + (f"/{name}" if name else "")


def show(url: str, name: str) -> dict:
    r = requests.get(sched_url(url, name), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def wait_fires(url: str, name: str, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = show(url, name)["jobs"]
        if len(jobs) >= count:
            return jobs
        assert time.monotonic() < deadline, f"schedule {name} fired {len(jobs)} times: {jobs}"
        time.sleep(0.05)


def write_schedule(folder: Path, name: str, trigger: str, job_cmd: str = 'echo "fired"') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "job.yml").write_text(
        f"$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
        f"command: {job_cmd} ${{{{inputs.who}}}}\n"
        f"inputs:\n  who: nobody\n")
    path = folder / f"{name}.yml"
    path.write_text(f"name: {name}\ntrigger:\n{trigger}\ncreate_job:\n  job: ./job.yml\n"
                    f"  inputs:\n    who: ${{{{name}}}}\n")
    return path


HOURLY_UTC = '  type: cron\n  expression: "0 * * * *"\n'


def test_example_schedules_run_unmodified(srv, tmp_path):
    folder = tmp_path / "schedules"
    shutil.copytree(SCHEDULES, folder)
    for f in ("cron-job-schedule.yml", "cron-with-settings-job-schedule.yml",
              "recurrence-job-schedule.yml"):
        ok(cli(srv.url, "schedule", "create", "-f", str(folder / f)))
    listed = ok_json(cli(srv.url, "schedule", "list", output="json"))["value"]
    by_name = {s["name"]: s for s in listed}
    assert set(by_name) == {"simple_cron_job_schedule", "cron_with_settings_job_schedule",
                            "simple_recurrence_job_schedule"}
    # The clock is 2026-07-01T12:34Z = 05:34 PDT. Hourly cron in Pacific time: whole hours.
    hourly = [iso(ms("2026-07-01T13:00:00Z") + h * 3_600_000) for h in range(5)]
    assert by_name["simple_cron_job_schedule"]["next_fire_times"] == hourly
    assert by_name["cron_with_settings_job_schedule"]["next_fire_times"] == hourly
    # Daily at 04:00, 04:30, 05:00, 05:30, 10:00, ... Pacific: next is 10:00 PDT = 17:00Z.
    assert by_name["simple_recurrence_job_schedule"]["next_fire_times"] == [
        "2026-07-01T17:00:00.000Z", "2026-07-01T17:30:00.000Z", "2026-07-01T18:00:00.000Z",
        "2026-07-01T18:30:00.000Z", "2026-07-01T19:00:00.000Z"]
    s = by_name["cron_with_settings_job_schedule"]
    assert s["trigger"]["time_zone"] == "Pacific Standard Time"
    assert s["create_job"]["settings"] == {"continue_on_step_failure": True}
    assert s["create_job"]["job"]["type"] == "pipeline"  # the local file travelled inline
    table = ok(cli(srv.url, "schedule", "show", "simple_cron_job_schedule"))
    assert "next fire times:\n  2026-07-01T13:00:00.000Z" in table


def test_schedule_fires_on_time_and_skips_missed_times(srv, clock, tmp_path):
    path = write_schedule(tmp_path / "s", "hourly", HOURLY_UTC)
    created = ok_json(cli(srv.url, "schedule", "create", "-f", str(path), output="json"))
    assert created["next_fire_time"] == "2026-07-01T13:00:00.000Z"
    assert created["jobs"] == []
    clock.set("2026-07-01T13:00:00.200Z")
    fire = wait_fires(srv.url, "hourly", 1)[0]
    assert fire["fire_time"] == "2026-07-01T13:00:00.000Z" and fire["error"] is None
    job = wait_status(srv.url, fire["job_name"], ("Completed", "Failed"))
    assert job["status"] == "Completed", job
    assert job["name"] == "hourly_20260701130000"
    assert job["tags"]["mlws.schedule.name"] == "hourly"
    assert job["resolved_command"].endswith(" hourly_20260701130000")  # ${{name}}
    # Down (or asleep) through 14:00, 15:00 and 16:00: only the latest missed time fires.
    clock.set("2026-07-01T16:30:00Z")
    fires = wait_fires(srv.url, "hourly", 2)
    assert fires[0]["fire_time"] == "2026-07-01T16:00:00.000Z"
    assert fires[0]["job_name"] == "hourly_20260701160000"
    assert "2 earlier fire times were missed and skipped" in fires[0]["error"]
    s = show(srv.url, "hourly")
    assert s["next_fire_time"] == "2026-07-01T17:00:00.000Z"
    assert s["last_fire_time"] == "2026-07-01T16:00:00.000Z"
    table = ok(cli(srv.url, "schedule", "list"))
    assert "hourly_20260701160000" in table and "2026-07-01T17:00:00.000Z" in table


def test_disable_and_enable(srv, clock, tmp_path):
    off = write_schedule(tmp_path / "a", "paused", HOURLY_UTC)
    on = write_schedule(tmp_path / "b", "witness", HOURLY_UTC)
    ok(cli(srv.url, "schedule", "create", "-f", str(off)))
    ok(cli(srv.url, "schedule", "create", "-f", str(on)))
    disabled = ok_json(cli(srv.url, "schedule", "disable", "paused", output="json"))
    assert disabled["is_enabled"] is False and disabled["next_fire_time"] is None
    clock.set("2026-07-01T13:00:01Z")
    # Both were due at 13:00; one pass handles every due schedule, so once the witness fired
    # the paused one has been passed over.
    wait_fires(srv.url, "witness", 1)
    assert show(srv.url, "paused")["jobs"] == []
    clock.set("2026-07-01T15:10:00Z")
    enabled = ok_json(cli(srv.url, "schedule", "enable", "paused", output="json"))
    # No catching up on the times passed while disabled: next is the next hour after now.
    assert enabled["next_fire_time"] == "2026-07-01T16:00:00.000Z"
    assert enabled["jobs"] == []
    ok(cli(srv.url, "schedule", "delete", "paused"))
    assert requests.get(sched_url(srv.url, "paused"), timeout=10).status_code == 404


def test_update_replaces_trigger(srv, clock, tmp_path):
    path = write_schedule(tmp_path / "u", "changing", HOURLY_UTC)
    ok(cli(srv.url, "schedule", "create", "-f", str(path)))
    path.write_text(path.read_text().replace(HOURLY_UTC, "  type: recurrence\n  frequency: minute\n"
                                             "  interval: 10\n  start_time: "
                                             '"2026-07-01T12:00:00Z"\n'))
    updated = ok_json(cli(srv.url, "schedule", "update", "-f", str(path), output="json"))
    assert updated["next_fire_times"][:2] == ["2026-07-01T12:40:00.000Z",
                                              "2026-07-01T12:50:00.000Z"]


def test_schedules_survive_a_restart_and_fire_missed_time_once(spawn, clock, tmp_path):
    env = {"MLWS_SCHEDULE_CLOCK_FILE": str(clock.path)}
    srv = spawn(env=env)
    path = write_schedule(tmp_path / "r", "durable", HOURLY_UTC)
    ok(cli(srv.url, "schedule", "create", "-f", str(path)))
    assert srv.stop() == 0
    clock.set("2026-07-01T15:05:00Z")  # 13:00, 14:00 and 15:00 pass while it is down
    srv2 = MlwsServer(srv.home, log_dir=tmp_path, port=srv.port, env=env).start()
    try:
        fires = wait_fires(srv2.url, "durable", 1)
        assert [f["fire_time"] for f in fires] == ["2026-07-01T15:00:00.000Z"]
        assert "2 earlier fire times were missed" in fires[0]["error"]
        assert show(srv2.url, "durable")["next_fire_time"] == "2026-07-01T16:00:00.000Z"
    finally:
        srv2.stop()


def test_copy_of_an_existing_job(srv, clock, tmp_path):
    r = requests.post(f"{srv.url}/api/v1/workspaces/default/jobs", timeout=10,
                      json={"name": "template_job", "command": "echo from-template"})
    assert r.status_code == 201, r.text
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "s.yml").write_text(f"name: copier\ntrigger:\n{HOURLY_UTC}"
                                  "create_job: azureml:template_job\n")
    ok(cli(srv.url, "schedule", "create", "-f", str(folder / "s.yml")))
    clock.set("2026-07-01T13:00:00Z")
    fire = wait_fires(srv.url, "copier", 1)[0]
    job = wait_status(srv.url, fire["job_name"], ("Completed", "Failed"))
    assert job["command"] == "echo from-template"


@pytest.mark.parametrize("trigger,message", [
    ('  type: cron\n  expression: "0 * * *"\n', "five fields"),
    ('  type: cron\n  expression: "0 25 * * *"\n', "hour field"),
    ('  type: cron\n  expression: "0 * * * *"\n  time_zone: "Atlantis Standard Time"\n',
     "Unknown time zone"),
    ('  type: cron\n  expression: "0 * * * *"\n  start_time: "2026-02-01T00:00:00"\n'
     '  end_time: "2026-01-01T00:00:00"\n', "not after its start"),
    ('  type: recurrence\n  frequency: day\n  interval: 1\n  schedule:\n    hours: [24]\n',
     "hours"),
    ('  type: recurrence\n  frequency: fortnightly\n  interval: 1\n', "frequency"),
])
def test_bad_schedules_create_nothing(srv, tmp_path, trigger, message):
    path = write_schedule(tmp_path / "bad", "bad_one", trigger)
    proc = cli(srv.url, "schedule", "create", "-f", str(path))
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    r = requests.post(sched_url(srv.url), timeout=10,
                      json={"name": "bad_two", "trigger": yaml.safe_load("t:\n" + trigger)["t"], "create_job": {"command": "true"}})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and message in r.json()["message"]
    assert requests.get(sched_url(srv.url), timeout=10).json()["value"] == []


def test_bad_create_job_creates_nothing(srv):
    base = {"name": "s1", "trigger": {"type": "cron", "expression": "0 * * * *"}}
    for create_job, message in [
        ("azureml:no_such_job", "does not exist"),
        ({"command": "echo ${{inputs.missing}}"}, "missing"),
        ({"job": {"command": "true"}, "surprise": 1}, "create_job.surprise"),
        ("./job.yml", "local YAML file"),
    ]:
        r = requests.post(sched_url(srv.url), json={**base, "create_job": create_job}, timeout=10)
        assert r.status_code == 400, r.text
        assert message in r.json()["message"], r.json()
    r = requests.post(sched_url(srv.url), json={**base, "name": "bad name!",
                                                "create_job": {"command": "true"}}, timeout=10)
    assert r.status_code == 400
    assert requests.get(sched_url(srv.url), timeout=10).json()["value"] == []
    good = requests.post(sched_url(srv.url), json={**base, "create_job": {"command": "true"}},
                         timeout=10)
    assert good.status_code == 201, good.text
    again = requests.post(sched_url(srv.url), json={**base, "create_job": {"command": "true"}},
                          timeout=10)
    assert again.status_code == 400 and "already exists" in again.json()["message"]
