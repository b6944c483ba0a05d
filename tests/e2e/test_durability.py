"""Durability: a write the server acknowledged (HTTP 200) survives ``kill -9`` of the server
under concurrent load, and a SIGTERM / SIGINT shutdown is graceful (in-flight requests get a
200 or a clean connection error, exit code 0 within 10 s, nothing acknowledged is lost).

Each test owns its servers (``spawn``) and restarts a new process on the same ``--home``.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time

import pytest
import requests

from conftest import ARTIFACTS, ML, Api

N_THREADS = 8
PER_REQUEST = 100
LOAD_SECONDS = 3.0
KILL_AFTER = 1.5


def _step(t: int, seq: int, j: int) -> int:
    return t * 10_000_000 + seq * PER_REQUEST + j


def _value(t: int, seq: int, j: int) -> float:
    # Integer-valued doubles are exact in JSON; distinct per point.
    return float(t * 100_000_000 + seq * 1000 + j) + 0.5


def _timestamp(t: int, seq: int) -> int:
    return 1_700_000_000_000 + t * 1_000_000 + seq


def _batch(run_id: str, t: int, seq: int) -> dict:
    return {"run_id": run_id, "metrics": [
        {"key": "dur", "value": _value(t, seq, j), "timestamp": _timestamp(t, seq),
         "step": _step(t, seq, j)} for j in range(PER_REQUEST)]}


def _is_clean_connection_error(e: Exception) -> bool:
    return isinstance(e, requests.ConnectionError) and not isinstance(e, requests.Timeout)


class Load:
    """N_THREADS clients logging unique-step batches until told to stop."""

    def __init__(self, url: str, run_id: str, pause_s: float = 0.0):
        self.url, self.run_id, self.pause_s = url, run_id, pause_s
        self.lock = threading.Lock()
        self.acked: list[tuple[int, int]] = []
        self.attempted: set[tuple[int, int]] = set()
        self.bad_responses: list[str] = []   # non-200 HTTP answers (never acceptable)
        self.early_errors: list[str] = []    # exceptions before the server was stopped
        self.late_errors: list[str] = []     # exceptions after the stop began
        self.unclean_errors: list[str] = []  # timeouts / truncated responses after the stop
        self.in_flight = 0
        self.stop = threading.Event()
        self.stopping = threading.Event()    # set just BEFORE the signal is sent
        self.threads = [threading.Thread(target=self._worker, args=(t,), daemon=True)
                        for t in range(N_THREADS)]

    def start(self):
        for th in self.threads:
            th.start()

    def join(self):
        self.stop.set()
        for th in self.threads:
            th.join(30)
            assert not th.is_alive(), "a client thread hung"

    def _worker(self, t: int):
        session = requests.Session()
        seq = 0
        while not self.stop.is_set():
            with self.lock:
                self.attempted.add((t, seq))
                self.in_flight += 1
            try:
                r = session.post(f"{self.url}{ML}/runs/log-batch", json=_batch(self.run_id, t, seq),
                                 timeout=15)
            except requests.RequestException as e:
                with self.lock:
                    self.in_flight -= 1
                    if not self.stopping.is_set():
                        self.early_errors.append(repr(e))
                    elif _is_clean_connection_error(e):
                        self.late_errors.append(repr(e))
                    else:
                        self.unclean_errors.append(repr(e))
                if self.stopping.is_set():
                    time.sleep(0.05)  # the server is gone; keep trying slowly until stop
                seq += 1
                continue
            with self.lock:
                self.in_flight -= 1
                if r.status_code == 200:
                    self.acked.append((t, seq))
                else:
                    self.bad_responses.append(f"{r.status_code} {r.text[:200]}")
            seq += 1
            if self.pause_s:
                time.sleep(self.pause_s)


def check_history(api: Api, run_id: str, load: Load) -> int:
    history = api.history(run_id, "dur")
    by_step: dict[int, list[dict]] = {}
    for m in history:
        by_step.setdefault(m["step"], []).append(m)
    # Every acknowledged point is present exactly once with its exact value and timestamp.
    missing = []
    for t, seq in load.acked:
        for j in range(PER_REQUEST):
            pts = by_step.get(_step(t, seq, j), [])
            if len(pts) != 1:
                missing.append((t, seq, j, len(pts)))
                continue
            assert pts[0]["value"] == _value(t, seq, j), pts[0]
            assert pts[0]["timestamp"] == _timestamp(t, seq), pts[0]
            assert pts[0]["key"] == "dur"
    assert not missing, f"{len(missing)} acknowledged points lost or duplicated, e.g. {missing[:5]}"
    # Nothing that was never sent, and every request is all-or-nothing (a batch is atomic).
    present: dict[tuple[int, int], int] = {}
    for step, pts in by_step.items():
        assert len(pts) == 1, f"step {step} stored {len(pts)} times"
        t, rest = divmod(step, 10_000_000)
        seq, j = divmod(rest, PER_REQUEST)
        assert (t, seq) in load.attempted, f"point for step {step} was never sent"
        assert pts[0]["value"] == _value(t, seq, j)
        present[(t, seq)] = present.get((t, seq), 0) + 1
    torn = {k: v for k, v in present.items() if v != PER_REQUEST}
    assert not torn, f"partially stored batches: {list(torn.items())[:5]}"
    return len(history)


def test_kill9_durability(spawn, tmp_path):
    home = tmp_path / "home"
    srv = spawn(home)
    api = Api(srv.url)
    run_id = api.create_run(api.create_experiment("durability"), run_name="kill9")

    art = requests.put(f"{srv.url}{ARTIFACTS}/kill9/acked.txt", data=b"acked before kill",
                       timeout=10)
    assert art.status_code == 200

    load = Load(srv.url, run_id)
    t0 = time.monotonic()
    load.start()
    time.sleep(KILL_AFTER)
    with load.lock:
        load.stopping.set()
        in_flight_at_kill = load.in_flight
        acked_before_kill = len(load.acked)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(10)
    time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - t0)))
    load.join()

    assert srv.proc.returncode == -signal.SIGKILL
    assert not load.bad_responses, load.bad_responses[:5]
    assert not load.early_errors, load.early_errors[:5]
    assert acked_before_kill >= 2 * N_THREADS, f"too little load: {acked_before_kill} acks"
    assert in_flight_at_kill >= 1, "no request was in flight when the server was killed"
    assert load.late_errors, "no client noticed the kill"

    print(f"kill -9: {acked_before_kill} batches acked before the kill, {len(load.acked)} in "
          f"total, {in_flight_at_kill} in flight at the kill, {len(load.late_errors)} failed")
    restarted = spawn(home)
    api2 = Api(restarted.url)
    n = check_history(api2, run_id, load)
    assert n >= len(load.acked) * PER_REQUEST
    run = api2.get_run(run_id)
    assert run["info"]["status"] == "RUNNING"
    assert [m["key"] for m in run["data"]["metrics"]] == ["dur"]
    art = requests.get(f"{restarted.url}{ARTIFACTS}/kill9/acked.txt", timeout=10)
    assert (art.status_code, art.content) == (200, b"acked before kill")
    # The restarted server takes writes again.
    api2.log_batch(run_id, metrics=[{"key": "after", "value": 1.0, "timestamp": 1, "step": 0}])
    assert len(api2.history(run_id, "after")) == 1


def _slow_upload(url: str, result: dict, chunks: int = 30, chunk_size: int = 32 * 1024,
                 pause_s: float = 0.05):
    data = bytes((i * 7) % 251 for i in range(chunk_size))
    sha = hashlib.sha256()

    def gen():
        for i in range(chunks):
            piece = i.to_bytes(2, "big") + data[2:]
            sha.update(piece)
            yield piece
            time.sleep(pause_s)

    try:
        r = requests.put(url, data=gen(), timeout=30)
        result["status"] = r.status_code
        result["body"] = r.text
    except requests.RequestException as e:
        result["error"] = e
    result["done_at"] = time.monotonic()
    result["sha"] = sha.hexdigest()
    result["size"] = chunks * chunk_size


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown(spawn, tmp_path, sig):
    home = tmp_path / "home"
    srv = spawn(home)
    api = Api(srv.url)
    run_id = api.create_run(api.create_experiment("graceful"), run_name="graceful")

    load = Load(srv.url, run_id, pause_s=0.03)  # a slow, steady stream of requests
    upload: dict = {}
    up_url = f"{srv.url}{ARTIFACTS}/graceful/slow.bin"
    uploader = threading.Thread(target=_slow_upload, args=(up_url, upload), daemon=True)
    load.start()
    uploader.start()
    time.sleep(0.8)
    with load.lock:
        load.stopping.set()
        acked_before = len(load.acked)
    t_sig = time.monotonic()
    srv.proc.send_signal(sig)
    code = srv.wait(10.0)
    exit_s = time.monotonic() - t_sig
    uploader.join(30)
    load.join()

    assert code is not None, f"mlws did not exit within 10 s of {sig.name}:\n{srv.stderr()}"
    assert code == 0, f"exit code {code}:\n{srv.stderr()}"
    assert exit_s < 10.0
    assert acked_before >= N_THREADS, f"too little load: {acked_before} acks"
    assert not load.bad_responses, f"non-200 answers during shutdown: {load.bad_responses[:5]}"
    assert not load.early_errors, load.early_errors[:5]
    assert not load.unclean_errors, f"unclean failures: {load.unclean_errors[:5]}"
    assert not uploader.is_alive()
    assert upload["done_at"] > t_sig, "the slow upload was not in flight at the signal"
    if "error" in upload:
        assert _is_clean_connection_error(upload["error"]), repr(upload["error"])
    else:
        assert upload["status"] == 200, upload

    print(f"{sig.name}: exit {code} after {exit_s:.2f} s; {len(load.acked)} batches acked, "
          f"{len(load.late_errors)} connection errors; upload: "
          f"{upload.get('status') or repr(upload.get('error'))}")
    restarted = spawn(home)
    api2 = Api(restarted.url)
    check_history(api2, run_id, load)
    if upload.get("status") == 200:
        r = requests.get(f"{restarted.url}{ARTIFACTS}/graceful/slow.bin", timeout=30)
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == upload["sha"]
        assert len(r.content) == upload["size"]
