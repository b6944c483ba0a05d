#!/usr/bin/env python3
"""bench/run_bench.py with every target's metadata on PostgreSQL 15 instead of SQLite.

One throwaway cluster (scripts/pg.sh via mlws_testkit.pg, default durability settings) serves
all targets in turn, each on a fresh database: mlws with ``--backend-store-uri postgresql://...``,
the MLflow server with the same URI through psycopg2 (pinned in python/requirements.txt).
Every option of run_bench.py applies; the default targets are mlws and mlflow:

  .venv/bin/python bench/pg_bench.py                    # log-batch points/s, search p50 at 100k runs
  .venv/bin/python bench/pg_bench.py --quick            # smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import run_bench  # noqa: E402
from mlws_testkit import pg  # noqa: E402


class PgServer(run_bench.Server):
    """A run_bench target whose metadata lives in a fresh PostgreSQL database."""

    def command(self):
        cmd, env = super().command()
        uri = pg.cluster().new_database()
        if self.name == "mlws":
            cmd += ["--backend-store-uri", uri]
        elif self.name == "mlflow":
            i = cmd.index("--backend-store-uri")
            cmd[i + 1] = uri.replace("postgresql://", "postgresql+psycopg2://", 1)
        else:
            raise SystemExit(f"{self.name}: no PostgreSQL setup in this benchmark")
        return cmd, env


if __name__ == "__main__":
    if not any(a.startswith("--targets") for a in sys.argv[1:]):
        sys.argv[1:1] = ["--targets", "mlws,mlflow"]
    # The MLflow 2.17.2 server of .venv has psycopg2 (python/requirements.txt); the MLflow 3
    # server venv run_bench.py prefers has no PostgreSQL driver.
    if not any(a.startswith("--mlflow-venv") for a in sys.argv[1:]):
        sys.argv[1:1] = ["--mlflow-venv", str(ROOT / ".venv")]
    run_bench.Server = PgServer
    sys.exit(run_bench.main())
