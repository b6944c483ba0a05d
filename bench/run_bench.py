#!/usr/bin/env python3
"""Benchmark mlws against the MLflow server and FastTrackML, in one run, on this machine.

For each target (sequentially, so they never compete for the CPU): start the server on a free
loopback port below 32768 with a fresh temp dir and a SQLite backend, wait for /health, measure
idle RSS, run the mlws-loadgen rows, measure RSS after load, stop the server (whole process group).
Prints a markdown table: row | <targets...> | ratio (mlws vs the faster peer).

Every step is bounded in time; servers are always killed at the end, even on error or Ctrl-C.

Usage:
  .venv/bin/python bench/run_bench.py                      # full run, all targets
  .venv/bin/python bench/run_bench.py --targets mlflow,fml --quick
See bench/README.md.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from mlws_testkit.net import free_port  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wrk_rows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ALL_TARGETS = ("mlws", "mlflow", "fml")
PEERS = ("mlflow", "fml")

# Live server process groups, killed at exit whatever happens.
_LIVE: dict[int, subprocess.Popen] = {}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Processes


def kill_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Always sweep the group: workers may outlive their parent.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    _LIVE.pop(proc.pid, None)


def _kill_all_live() -> None:
    for proc in list(_LIVE.values()):
        kill_group(proc, grace=3.0)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


atexit.register(_kill_all_live)




def background_cpu(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over `seconds` (sampled while none of our servers runs): other
    work on the machine skews the figures, so it is reported with them."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return idle, sum(vals[:8])
    i0, t0 = sample()
    time.sleep(seconds)
    i1, t1 = sample()
    return 0.0 if t1 == t0 else max(0.0, 1.0 - (i1 - i0) / (t1 - t0))


def proc_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_memory_kb(root_pid: int) -> dict:
    """RSS summed over the process tree (and PSS, which does not double-count shared pages)."""
    rss = pss = 0
    pids = proc_tree(root_pid)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
        except OSError:
            continue
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return {"rss_kb": rss, "pss_kb": pss, "processes": len(pids)}


# --------------------------------------------------------------------------------------------
# Targets


class Server:
    """One running target. Use as a context manager: the process group dies on exit."""

    def __init__(self, name: str, args: argparse.Namespace, workdir: Path):
        self.name = name
        self.args = args
        self.dir = workdir / name
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.prefix = ""
        self.proc: subprocess.Popen | None = None
        self.log_path = self.dir / "server.log"

    def command(self) -> tuple[list[str], dict]:
        env = dict(os.environ)
        venv_bin = str(Path(self.args.venv) / "bin")
        env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
        d, p = str(self.dir), str(self.port)
        if self.name == "mlws":
            self.prefix = self.args.mlws_prefix.rstrip("/")
            return [str(self.args.mlws_bin), "server", "--host", "127.0.0.1", "--port", p,
                    "--home", d], env
        if self.name == "mlflow":
            venv_bin = str(Path(self.args.mlflow_venv) / "bin")
            env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
            # gunicorn sync workers, one per core; a generous worker timeout so a slow but
            # legitimate request (e.g. a large metric history) is measured, not killed.
            return [f"{venv_bin}/mlflow", "server", "--host", "127.0.0.1", "--port", p,
                    "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                    "--artifacts-destination", f"{d}/art",
                    "--workers", str(self.args.mlflow_workers),
                    "--gunicorn-opts", "--timeout 900"], env
        if self.name == "fml":
            # FastTrackML serves the MLflow REST API of its default namespace at the root
            # (/api/2.0/mlflow/...; other namespaces under /ns/<name>/api/2.0/mlflow/...).
            # --log-level warn: its default logs one line per request, which costs throughput.
            return [f"{venv_bin}/fml", "server", "--listen-address", f"127.0.0.1:{p}",
                    "--database-uri", f"sqlite://{d}/fml.db",
                    "--default-artifact-root", f"{d}/art", "--log-level", "warn"], env
        raise ValueError(self.name)

    @property
    def url(self) -> str:
        return self.base + self.prefix

    def __enter__(self) -> "Server":
        cmd, env = self.command()
        log(f"{self.name}: starting on port {self.port}: {' '.join(cmd)}")
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        _LIVE[self.proc.pid] = self.proc
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__()
            raise
        log(f"{self.name}: healthy")
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.args.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} during "
                                   f"startup:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy after {self.args.start_timeout}s:"
                                   f"\n{self.log_tail()}")
            time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            kill_group(self.proc)
        self._log_file.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory(self) -> dict:
        return tree_memory_kb(self.proc.pid) if self.alive() else {}

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


# --------------------------------------------------------------------------------------------
# Load generator


def run_loadgen(args: argparse.Namespace, cmd: str, url: str, bound_s: float,
                **opts) -> dict:
    """Runs one loadgen command; `bound_s` is its expected upper bound in seconds."""
    argv = [str(args.loadgen), cmd, "--url", url]
    for k, v in opts.items():
        argv += ["--" + k.replace("_", "-"), str(v)]
    hard = bound_s + 60
    argv += ["--hard-timeout", str(int(hard))]
    log("  $ " + " ".join(argv[1:]))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=hard + 30)
    except subprocess.TimeoutExpired:
        kill_group(proc, grace=1)
        return {"error": f"loadgen did not finish within {hard + 30:.0f}s"}
    lines = [ln for ln in out.splitlines() if ln.strip().startswith("{")]
    if not lines:
        return {"error": f"loadgen exit {proc.returncode}, no result: {err.strip()[-300:]}"}
    try:
        res = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        return {"error": f"bad loadgen output: {e}"}
    brief = {k: res[k] for k in ("requests_per_s", "points_per_s", "runs_per_s", "p50_ms",
                                 "p99_ms", "errors", "error", "runs", "seconds") if k in res}
    log(f"    -> {json.dumps(brief)}")
    return res


# --------------------------------------------------------------------------------------------
# Rows
#
# Each row: key, label, unit, higher_is_better. A cell is a dict:
#   {"value": float|None, "text": str, "bound": bool}  (bound: measured at a smaller size than
#   the row's nominal size, which favours the peer, so a ratio against it is a lower bound).


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def fmt_num(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell_from(res: dict, field: str, note: str = "") -> dict:
    if "error" in res and res.get(field) is None:
        return {"value": None, "text": "error: " + str(res["error"])[:80], "bound": False}
    v = res.get(field)
    if v is None:
        return {"value": None, "text": "error: " + str(res.get("first_error", "no data"))[:80],
                "bound": False}
    text = fmt_num(float(v))
    errs = res.get("errors", 0) or 0
    if errs:
        text += f" ({errs} errors: {str(res.get('first_error', ''))[:60]})"
    if note:
        text += f" {note}"
    return {"value": float(v), "text": text, "bound": False, "errors": errs}


def na(text: str) -> dict:
    return {"value": None, "text": text, "bound": False}


def bench_target(srv: Server, args: argparse.Namespace, sizes: dict, raw: dict) -> dict:
    """Runs every row against one live server; returns {row_key: cell}."""
    name, url = srv.name, srv.url
    is_peer = name in PEERS
    cells: dict[str, dict] = {}
    t_target = time.monotonic()

    def over_budget() -> bool:
        return time.monotonic() - t_target > args.target_budget

    def record(key: str, res: dict) -> dict:
        raw.setdefault(name, {})[key] = res
        return res

    time.sleep(1.0)
    idle = srv.memory()
    raw.setdefault(name, {})["rss_idle"] = idle
    cells["rss_idle"] = {"value": idle["rss_kb"] / 1024, "text": f"{idle['rss_kb'] / 1024:.1f}",
                         "bound": False}

    S, W, T = args.seconds, args.warmup, args.timeout
    timed = dict(seconds=S, warmup=W, timeout=T)
    bound = S + W + 4 * T + 30
    rows = [("log_batch_1", "log-batch", 1, "points_per_s"),
            ("log_batch_8", "log-batch", 8, "points_per_s"),
            ("log_metric_8", "log-metric", 8, "requests_per_s"),
            ("create_run_8", "create-run", 8, "runs_per_s")]
    if args.wrk_only:
        rows = []  # --wrk-only: the table under wrk alone (and the history it reads)
    for key, cmd, clients, field in rows:
        if not srv.alive():
            cells[key] = na("server died")
            continue
        res = record(key, run_loadgen(args, cmd, url, bound, clients=clients, **timed))
        cells[key] = cell_from(res, field)

    # --- search over small / large experiments -----------------------------------------------
    small, large = sizes["runs_small"], sizes["runs_large"]
    if is_peer:
        small = min(small, args.peer_runs)
    budget = args.populate_budget
    sr = dict(requests=args.search_requests, max_seconds=args.search_seconds, timeout=T)
    search_bound = args.search_seconds + 4 * T + 30
    if args.wrk_only:
        small = 0
    pop = {} if not small else record("populate_small", run_loadgen(
        args, "populate", url, budget + 4 * T, runs=small, clients=8, max_seconds=budget,
        timeout=T))
    exp_id = pop.get("experiment_id")
    populated = pop.get("runs", 0) or 0
    if exp_id and populated >= 100:
        flag = ""
        if populated < sizes["runs_small"]:
            flag = f"(at {human(populated)} runs)"
        res = record("search_small", run_loadgen(args, "search", url, search_bound,
                                                 experiment_id=exp_id, **sr))
        cells["search_small"] = cell_from(res, "p50_ms", flag)
        cells["search_small"]["bound"] = bool(flag)
        cells["populate"] = cell_from(pop, "runs_per_s")
    elif small:
        cells["search_small"] = na("populate failed: " + str(pop.get("error") or
                                                             pop.get("first_error"))[:80])
        cells["populate"] = cell_from(pop, "runs_per_s")

    rate = pop.get("runs_per_s") or 0
    extra = large - populated
    projected = extra / rate if rate > 0 else float("inf")
    if not small:
        pass
    elif not (exp_id and populated >= 100):
        cells["search_large"] = na("n/a (populate failed)")
    elif is_peer and args.peer_runs < large:
        cells["search_large"] = na(f"n/a (--peer-runs {human(args.peer_runs)})")
    elif projected > budget or over_budget():
        why = (f"projected populate {projected:.0f}s > budget {budget:.0f}s" if
               projected > budget else "target time budget spent")
        cells["search_large"] = na(f"n/a (too slow: {why})")
        raw[name]["search_large_skipped"] = why
    else:
        pop2 = record("populate_large", run_loadgen(
            args, "populate", url, budget + 4 * T, runs=extra, clients=8,
            experiment_id=exp_id, name_offset=populated, max_seconds=budget, timeout=T))
        total = populated + (pop2.get("runs", 0) or 0)
        flag = "" if total >= large else f"(at {human(total)} runs)"
        res = record("search_large", run_loadgen(args, "search", url, search_bound,
                                                 experiment_id=exp_id, **sr))
        cells["search_large"] = cell_from(res, "p50_ms", flag)
        cells["search_large"]["bound"] = bool(flag)

    # --- metric history -----------------------------------------------------------------------
    points = sizes["history_points"]
    hb = args.history_budget
    hist_opts = dict(repeats=5, clients=4, timeout=args.history_timeout)
    if is_peer and args.peer_history_points < points:
        # Probe at the smaller size, then go to the full size only if its projected cost
        # (populate + 5 reads, scaled linearly) fits the history budget.
        probe_n = args.peer_history_points
        probe = record("history_probe", run_loadgen(
            args, "history", url, hb + 6 * args.history_timeout, points=probe_n,
            max_seconds=hb, **hist_opts))
        scale = points / probe_n
        p_pop = (probe.get("populate_seconds") or float("inf")) * scale
        p_read = (probe.get("max_ms") or float("inf")) / 1000 * scale * 5
        proj = p_pop + p_read
        raw[name]["history_projected_full_s"] = proj
        if probe.get("points_ok") and proj <= hb and not over_budget():
            res = record("history", run_loadgen(
                args, "history", url, hb + 6 * args.history_timeout, points=points,
                max_seconds=hb * 1.5, **hist_opts))
            cells["history"] = cell_from(res, "p50_ms")
            if not res.get("points_ok"):
                cells["history"]["text"] += " (wrong point count)"
        else:
            cells["history"] = cell_from(
                probe, "p50_ms", f"(at {human(probe_n)} points; {human(points)} projected "
                                 f"{proj:.0f}s > budget {hb:.0f}s)" if proj > hb else
                                 f"(at {human(probe_n)} points)")
            cells["history"]["bound"] = True
            if not probe.get("points_ok"):
                cells["history"]["text"] += " (wrong point count)"
    else:
        res = record("history", run_loadgen(args, "history", url, hb * 1.5 + 6 * args.history_timeout,
                                            points=points, max_seconds=hb * 1.5, **hist_opts))
        cells["history"] = cell_from(res, "p50_ms")
        if not res.get("points_ok"):
            cells["history"]["text"] += " (wrong point count)"

    # --- the same rows again under wrk (an independent load generator) -------------------------
    if args.wrk and wrk_rows.have_wrk() and srv.alive() and not over_budget():
        hist = raw[name].get("history") or raw[name].get("history_probe") or {}
        history_run = {"run_id": hist.get("run_id"), "points": hist.get("points", 0),
                       "key": "loss", "full": "history" in raw[name]}

        def populate(n: int):
            res = record("wrk_populate", run_loadgen(
                args, "populate", url, budget + 4 * T, runs=n, clients=8, max_seconds=budget,
                timeout=T))
            return res.get("experiment_id") if (res.get("runs") or 0) >= n else None

        wcells, wraw = wrk_rows.bench_wrk(url, srv.prefix, S, populate, history_run, log)
        cells.update(wcells)
        raw[name]["wrk"] = wraw

    after = srv.memory()
    raw[name]["rss_after"] = after
    if after:
        cells["rss_after"] = {"value": after["rss_kb"] / 1024,
                              "text": f"{after['rss_kb'] / 1024:.1f}", "bound": False}
    else:
        cells["rss_after"] = na("server died")
    raw[name]["alive_at_end"] = srv.alive()
    raw[name]["seconds_total"] = round(time.monotonic() - t_target, 1)
    return cells


# --------------------------------------------------------------------------------------------
# Report


def row_defs(args: argparse.Namespace, sizes: dict) -> list[tuple[str, str, bool]]:
    c = f"{args.seconds:g}s"
    wrk = wrk_rows.row_defs(args.seconds) if args.wrk and wrk_rows.have_wrk() else []
    if args.wrk_only:
        return wrk + [
            ("history", f"get-history p50, {human(sizes['history_points'])} points "
                        "(ms, mlws-loadgen)", False),
            ("rss_idle", "server RSS idle (MiB)", False),
            ("rss_after", "server RSS after load (MiB)", False),
        ]
    return [
        ("log_batch_1", f"log-batch, 1 client, 1000 metrics/req (points/s, {c})", True),
        ("log_batch_8", f"log-batch, 8 clients, 1000 metrics/req (points/s, {c})", True),
        ("log_metric_8", f"log-metric, 8 clients (req/s, {c})", True),
        ("create_run_8", f"create-run, 8 clients (runs/s, {c})", True),
        ("populate", "populate: create-run + log-batch, 8 clients (runs/s)", True),
        ("search_small", f"search p50, {human(sizes['runs_small'])} runs (ms)", False),
        ("search_large", f"search p50, {human(sizes['runs_large'])} runs (ms)", False),
        ("history", f"get-history p50, {human(sizes['history_points'])} points (ms)", False),
        ("rss_idle", "server RSS idle (MiB)", False),
        ("rss_after", "server RSS after load (MiB)", False),
    ] + wrk


def ratio_text(cells: dict, key: str, higher: bool, peers: list[str]) -> str:
    m = cells.get("mlws", {}).get(key)
    if not m or m.get("value") is None or m["value"] <= 0:
        return "n/a"
    cands = []
    for p in peers:
        c = cells.get(p, {}).get(key)
        if c and c.get("value") is not None and c["value"] > 0:
            cands.append(c)
    if not cands and key == "search_large":
        # Peers too slow to populate the large experiment: their small-size latency is a
        # lower bound for the large one, so the ratio against it is a lower bound too.
        for p in peers:
            c = cells.get(p, {}).get("search_small")
            if c and c.get("value") is not None and c["value"] > 0:
                cands.append(dict(c, bound=True))
    if not cands:
        return "n/a"
    best = max(cands, key=lambda c: c["value"]) if higher else min(cands, key=lambda c: c["value"])
    r = m["value"] / best["value"] if higher else best["value"] / m["value"]
    lower_bound = best.get("bound") and not (key.startswith("rss"))
    return ("≥ " if lower_bound else "") + (f"{r:.1f}x" if r < 100 else f"{r:,.0f}x")


def render(args, sizes, targets, cells) -> str:
    peers = [t for t in targets if t in PEERS]
    show_ratio = "mlws" in targets and peers
    head = ["row"] + targets + (["ratio (mlws vs faster peer)"] if show_ratio else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, higher in row_defs(args, sizes):
        row = [label]
        for t in targets:
            c = cells.get(t, {}).get(key)
            row.append(c["text"] if c else "—")
        if show_ratio:
            row.append(ratio_text(cells, key, higher, peers))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


def find_loadgen(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    for cand in [ROOT / "build/release/bench/mlws-loadgen", *sorted(ROOT.glob("build/*/bench/mlws-loadgen"))]:
        if cand.exists():
            return cand
    sys.exit("mlws-loadgen not found; build it (cmake --build build/release --target mlws-loadgen) "
             "or pass --loadgen PATH")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default="mlws,mlflow,fml", help="comma list of mlws,mlflow,fml")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test (< 2 min)")
    ap.add_argument("--seconds", type=float, help="duration of each timed row (default 10; quick 3)")
    ap.add_argument("--warmup", type=float, help="untimed warm-up per timed row (default 1; quick 0.5)")
    ap.add_argument("--timeout", type=float, default=30, help="per-request timeout, s")
    ap.add_argument("--mlws-bin", default=str(ROOT / "build/release/mlws"))
    ap.add_argument("--mlws-prefix", default="", help="URL path prefix for mlws, e.g. /workspaces/default")
    ap.add_argument("--loadgen", help="path of mlws-loadgen (default: build/*/bench/mlws-loadgen)")
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="venv with mlflow and fml")
    ap.add_argument("--mlflow-venv", default=str(ROOT / (
        ".venv-mlflow3-server" if (ROOT / ".venv-mlflow3-server/bin/mlflow").exists() else ".venv")),
        help="venv whose `mlflow server` is benchmarked (default: the MLflow 3.x one)")
    ap.add_argument("--no-wrk", dest="wrk", action="store_false",
                    help="skip the wrk rows (wrk_rows.py)")
    ap.add_argument("--wrk-only", action="store_true",
                    help="only the wrk rows (the issue's table), the history they read and RSS: "
                         "skips the mlws-loadgen rows and the 10k/100k-run searches")
    ap.add_argument("--mlflow-workers", type=int, default=os.cpu_count() or 2,
                    help="gunicorn workers for the MLflow server (default: one per core)")
    ap.add_argument("--runs-small", type=int, help="runs in the small search experiment (10000)")
    ap.add_argument("--runs-large", type=int, help="runs in the large search experiment (100000)")
    ap.add_argument("--peer-runs", type=int, help="max runs to populate for peers (default: runs-large)")
    ap.add_argument("--populate-budget", type=float,
                    help="max seconds for one populate step; a larger projection is n/a (300; quick 30)")
    ap.add_argument("--search-requests", type=int, help="search requests per row (200; quick 20)")
    ap.add_argument("--search-seconds", type=float, help="time bound per search row (60; quick 15)")
    ap.add_argument("--history-points", type=int, help="metric points for get-history (1000000)")
    ap.add_argument("--peer-history-points", type=int,
                    help="peers' probe size; they run the full size only if projected within budget (100000)")
    ap.add_argument("--history-budget", type=float,
                    help="max projected seconds for a peer's full-size history row (180; quick 20)")
    ap.add_argument("--history-timeout", type=float, default=300, help="per-request timeout for get-history")
    ap.add_argument("--target-budget", type=float, default=1800,
                    help="after this many seconds on one target, optional large rows are skipped")
    ap.add_argument("--start-timeout", type=float, default=120, help="seconds to wait for /health")
    ap.add_argument("--json-out", help="write raw results here")
    ap.add_argument("--md-out", help="write the markdown table here")
    ap.add_argument("--keep-dirs", action="store_true", help="keep the servers' temp dirs")
    args = ap.parse_args()
    # Servers start in their own temp dirs: make the binaries' paths independent of the cwd.
    args.mlws_bin = os.path.abspath(args.mlws_bin)
    if args.loadgen:
        args.loadgen = os.path.abspath(args.loadgen)

    q = args.quick
    def dflt(name, full, quick):
        if getattr(args, name) is None:
            setattr(args, name, quick if q else full)
    dflt("seconds", 10.0, 3.0)
    dflt("warmup", 1.0, 0.5)
    dflt("runs_small", 10_000, 1000)
    dflt("runs_large", 100_000, 5000)
    dflt("peer_runs", args.runs_large, 1000)
    dflt("populate_budget", 300.0, 30.0)
    dflt("search_requests", 200, 20)
    dflt("search_seconds", 60.0, 15.0)
    dflt("history_points", 1_000_000, 20_000)
    dflt("peer_history_points", 100_000, 10_000)
    dflt("history_budget", 180.0, 20.0)
    for n in ("history_points", "peer_history_points"):
        v = getattr(args, n)
        if v < 1000 or v % 1000:
            ap.error(f"--{n.replace('_', '-')} must be a positive multiple of 1000")

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for t in targets:
        if t not in ALL_TARGETS:
            ap.error(f"unknown target {t!r}")
    args.loadgen = find_loadgen(args.loadgen)
    if "mlws" in targets and not Path(args.mlws_bin).exists():
        sys.exit(f"mlws binary {args.mlws_bin} not found (build it, pass --mlws-bin, or use "
                 f"--targets mlflow,fml)")
    for t in targets:
        if t in PEERS and not (Path(args.venv) / "bin" / ("mlflow" if t == "mlflow" else "fml")).exists():
            sys.exit(f"{t} not found in {args.venv}/bin (run scripts/venv.sh)")
    sizes = {"runs_small": args.runs_small, "runs_large": args.runs_large,
             "history_points": args.history_points}

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="mlws-bench-"))
    cells: dict[str, dict] = {}
    raw: dict = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                 "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                             "cpu": _cpu_model()},
                 "started": datetime.datetime.now().isoformat(timespec="seconds")}
    t0 = time.monotonic()
    try:
        for t in targets:
            busy = background_cpu()
            raw.setdefault(t, {})["background_cpu_busy"] = round(busy, 3)
            log(f"=== {t} === (background CPU busy before start: {busy:.0%})")
            try:
                with Server(t, args, workdir) as srv:
                    raw.setdefault(t, {})["url"] = srv.url
                    cells[t] = bench_target(srv, args, sizes, raw)
                    if not srv.alive():
                        log(f"{t}: server died during the run:\n{srv.log_tail()}")
            except RuntimeError as e:
                log(f"{t}: {e}")
                raw.setdefault(t, {})["error"] = str(e)
                cells[t] = {k: na("error: server failed") for k, _, _ in row_defs(args, sizes)}
    except KeyboardInterrupt:
        log("interrupted; stopping servers")
        return 130
    finally:
        _kill_all_live()
        if not args.keep_dirs:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir}")

    raw["seconds_total"] = round(time.monotonic() - t0, 1)
    table = render(args, sizes, targets, cells)
    header = (f"mlws benchmark — {raw['started']}, {raw['machine']['cpus']} CPUs "
              f"({raw['machine']['cpu']}), {'quick' if q else 'full'} mode, "
              f"{raw['seconds_total']:.0f}s total")
    busy = {t: raw.get(t, {}).get("background_cpu_busy", 0) for t in targets}
    if any(b > 0.1 for b in busy.values()):
        header += ("\n\nWARNING: the machine was busy with other work before these targets "
                   "started (CPU busy: " +
                   ", ".join(f"{t} {b:.0%}" for t, b in busy.items()) +
                   "); figures are depressed and noisy.")
    print(header)
    print()
    print(table)
    print()
    print("ratio: >1 means mlws is better (throughput: mlws/peer; latency and memory: peer/mlws), "
          "against the faster peer; '≥' marks a lower bound (peer measured at a smaller size).")
    for t in targets:
        if raw.get(t, {}).get("error"):
            print(f"{t} failed: " + raw[t]["error"].strip().replace("\n", "\n    "))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(raw, indent=2))
    if args.md_out:
        Path(args.md_out).write_text(header + "\n\n" + table + "\n")
    return 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
