"""A throwaway PostgreSQL 15 cluster for the test suites and the benchmark (scripts/pg.sh).

* ``MLWS_TEST_BACKEND=postgres`` makes every test server of tests/e2e and tests/compat run on a
  fresh database of one shared cluster (:func:`store_args`); anything else keeps SQLite.
* ``MLWS_TEST_PG_URI=postgresql://user@host:port`` names an existing cluster to use (scripts/test.sh
  starts one for all suites); without it the first caller starts one in a temp folder and it is
  stopped when the process exits.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_SH = REPO_ROOT / "scripts" / "pg.sh"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

_cluster: "PgCluster | None" = None
_databases: dict[str, str] = {}  # server home -> database URI (a restarted server keeps its data)


def backend() -> str:
    return os.environ.get("MLWS_TEST_BACKEND", "sqlite")


def available() -> bool:
    return bool(os.environ.get("MLWS_TEST_PG_URI")) or (PG_BIN / "initdb").exists()


def _strip_database(uri: str) -> str:
    head, sep, rest = uri.partition("://")
    host = rest.split("/", 1)[0]
    return f"{head}{sep}{host}"


class PgCluster:
    """One cluster: started by scripts/pg.sh in a temp folder, or an existing one (``uri``)."""

    def __init__(self, uri: str | None = None):
        self.dir: Path | None = None
        if uri:
            self.base = _strip_database(uri)
            return
        self.dir = Path(tempfile.mkdtemp(prefix="mlws-pg-"))
        self.dir.rmdir()  # pg.sh creates it and gives it to the cluster's user
        out = subprocess.run([str(PG_SH), "start", str(self.dir)], capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"scripts/pg.sh start failed:\n{out.stdout}{out.stderr}")
        self.base = _strip_database(out.stdout.strip().splitlines()[-1])

    def new_database(self) -> str:
        """The URI of a new, empty database."""
        name = "mlws_" + uuid.uuid4().hex[:16]
        subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", f"{self.base}/postgres",
                        "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True,
                       timeout=60)
        return f"{self.base}/{name}"

    def stop(self) -> None:
        if self.dir is not None:
            subprocess.run([str(PG_SH), "stop", str(self.dir)], capture_output=True, timeout=120)
            self.dir = None


def cluster() -> PgCluster:
    """The process's shared cluster (started on first use)."""
    global _cluster
    if _cluster is None:
        _cluster = PgCluster(os.environ.get("MLWS_TEST_PG_URI") or None)
        atexit.register(_cluster.stop)
    return _cluster


def store_args(home, extra_args=()) -> list[str]:
    """``--backend-store-uri`` arguments for a test server with this home: a fresh database per
    home on PostgreSQL (the same one again when the home is restarted), none on SQLite or when
    the test chose its own store."""
    if backend() != "postgres" or "--backend-store-uri" in extra_args:
        return []
    key = str(Path(home).resolve())
    if key not in _databases:
        _databases[key] = cluster().new_database()
    return ["--backend-store-uri", _databases[key]]


def dump(home) -> bytes:
    """Everything the database of the test server with this home holds (pg_dump, plain SQL)."""
    uri = _databases[str(Path(home).resolve())]
    return subprocess.run(["pg_dump", "--no-owner", uri], check=True, capture_output=True,
                          timeout=120).stdout
