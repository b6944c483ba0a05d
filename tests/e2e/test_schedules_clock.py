"""Schedules under a wall clock that jumps (an NTP step, a VM restored from a snapshot): back
an hour and forward again, then on past the next fire time. Each fire time fires exactly once:
the jump back does not fire 13:00 again, and 14:00 is not skipped. The server's schedule clock
is driven through MLWS_SCHEDULE_CLOCK_FILE (which overrides the Env seam's wall clock,
docs/durability.md)."""

from __future__ import annotations

from jobs_util import cli, ok_json
from test_schedules import HOURLY_UTC, Clock, show, wait_fires, write_schedule


def test_clock_jumping_back_and_forward_fires_each_time_once(spawn, tmp_path):
    clock = Clock(tmp_path / "clock", "2026-07-01T12:34:00Z")
    srv = spawn(env={"MLWS_SCHEDULE_CLOCK_FILE": str(clock.path)})
    ok_json(cli(srv.url, "schedule", "create", "-f",
                str(write_schedule(tmp_path / "a", "hourly", HOURLY_UTC)), output="json"))
    clock.set("2026-07-01T13:00:00.200Z")
    assert [f["fire_time"] for f in wait_fires(srv.url, "hourly", 1)] == [
        "2026-07-01T13:00:00.000Z"]
    # The clock jumps back an hour: a schedule created now sees 12:00 (its next time is 13:00).
    clock.set("2026-07-01T12:00:30Z")
    probe = ok_json(cli(srv.url, "schedule", "create", "-f",
                        str(write_schedule(tmp_path / "b", "probe", HOURLY_UTC)), output="json"))
    assert probe["next_fire_time"] == "2026-07-01T13:00:00.000Z"
    assert show(srv.url, "hourly")["next_fire_time"] == "2026-07-01T14:00:00.000Z"
    # Forward to 13:00 again: the probe fires (so the server has seen 13:00 a second time) ...
    clock.set("2026-07-01T13:00:00.500Z")
    wait_fires(srv.url, "probe", 1)
    # ... and the schedule that already fired for 13:00 did not fire for it twice.
    assert len(show(srv.url, "hourly")["jobs"]) == 1
    # On past 14:00: 14:00 fires once, nothing reported missed or skipped.
    clock.set("2026-07-01T14:00:00.200Z")
    fires = wait_fires(srv.url, "hourly", 2)
    assert [f["fire_time"] for f in fires] == ["2026-07-01T14:00:00.000Z",
                                               "2026-07-01T13:00:00.000Z"], fires
    assert not fires[0]["error"], fires[0]
