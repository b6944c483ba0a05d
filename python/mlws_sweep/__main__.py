"""`python -m mlws_sweep`: one Optuna study (TPE sampler) driven through ask/tell by the mlws
server over stdin/stdout, one JSON object per line each way (docs/sweeps.md, "Bayesian").

Requests (server -> helper), each answered by one line {"ok": true, ...} or {"ok": false,
"error": "..."}:
  {"op": "init", "goal": "minimize"|"maximize", "seed": N|null, "space": [<distribution>...]}
  {"op": "ask", "index": I}                  -> {"ok": true, "params": {...}, "internal": {...}}
  {"op": "replay", "index": I, "internal": {...}}   re-asks a trial recorded before a restart
  {"op": "tell", "index": I, "value": V|null}       null = the trial has no objective (failed)
A distribution is the sweep's search-space entry with its name: {"name", "type", ...}.

The helper exits when stdin closes (the sweep ended, or the server is gone).
"""

from __future__ import annotations

import json
import math
import statistics
import sys

import optuna

# Normal-type parameters are sampled as a latent uniform u in (EPS, 1 - EPS) mapped through the
# normal quantile function: Optuna has no normal distribution, and TPE models u.
EPS = 1e-6
_NORMAL = statistics.NormalDist()


def distribution(d: dict):
    t = d["type"]
    if t == "choice":
        return optuna.distributions.CategoricalDistribution(d["values"])
    if t == "randint":
        return optuna.distributions.IntDistribution(0, int(d["upper"]) - 1)
    if t in ("uniform", "quniform"):
        return optuna.distributions.FloatDistribution(d["min_value"], d["max_value"])
    if t in ("loguniform", "qloguniform"):
        return optuna.distributions.FloatDistribution(
            math.exp(d["min_value"]), math.exp(d["max_value"]), log=True)
    if t in ("normal", "qnormal", "lognormal", "qlognormal"):
        return optuna.distributions.FloatDistribution(EPS, 1 - EPS)
    raise ValueError(f"unknown distribution {t!r}")


def quantize(x: float, q) -> float:
    return round(x / q) * q if q else x


def visible(d: dict, x):
    """The value the trial sees for internal value x."""
    t = d["type"]
    if t in ("choice", "randint", "uniform", "loguniform"):
        return x
    if t in ("quniform", "qloguniform"):
        return quantize(x, d.get("q"))
    n = d["mu"] + d["sigma"] * _NORMAL.inv_cdf(x)
    if t in ("lognormal", "qlognormal"):
        n = math.exp(n)
    return quantize(n, d.get("q")) if t.startswith("q") else n


class Helper:
    def __init__(self) -> None:
        self.study = None
        self.space: list[dict] = []
        self.dists: dict = {}
        self.trials: dict[int, optuna.trial.Trial] = {}

    def init(self, req: dict) -> dict:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = req["space"]
        self.dists = {d["name"]: distribution(d) for d in self.space}
        sampler = optuna.samplers.TPESampler(seed=req.get("seed"))
        direction = "maximize" if req["goal"] == "maximize" else "minimize"
        self.study = optuna.create_study(direction=direction, sampler=sampler)
        return {}

    def _ask(self, index: int) -> dict:
        trial = self.study.ask(self.dists)
        self.trials[index] = trial
        internal = dict(trial.params)
        params = {d["name"]: visible(d, internal[d["name"]]) for d in self.space}
        return {"params": params, "internal": internal}

    def ask(self, req: dict) -> dict:
        return self._ask(int(req["index"]))

    def replay(self, req: dict) -> dict:
        self.study.enqueue_trial(req["internal"])
        return self._ask(int(req["index"]))

    def tell(self, req: dict) -> dict:
        trial = self.trials.pop(int(req["index"]), None)
        if trial is None:
            return {}
        value = req.get("value")
        if value is None or not math.isfinite(value):
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, float(value))
        return {}


def main() -> int:
    helper = Helper()
    ops = {"init": helper.init, "ask": helper.ask, "replay": helper.replay, "tell": helper.tell}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = ops.get(req.get("op"))
            if op is None:
                raise ValueError(f"unknown op {req.get('op')!r}")
            out = {"ok": True, **op(req)}
        except Exception as e:  # every failure is an answer: the server reports it
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
