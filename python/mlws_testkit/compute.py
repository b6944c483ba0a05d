"""Which compute the job tests' jobs run on by default: the server's own machine or Slurm.

* ``MLWS_TEST_COMPUTE=slurm`` starts one single-node Slurm cluster for the test process
  (:mod:`mlws_testkit.slurm`), gives every test server its ``SLURM_CONF`` (:func:`server_env`)
  and, once the server is up, makes the ``default`` workspace's ``local`` compute a
  ``type: slurm`` compute on that cluster (:func:`attach`): a job that names no compute, or
  ``local``, then goes through sbatch/squeue/scancel. Anything else keeps the built-in local
  compute.
* Tests about the local compute itself (its process groups, ``MLWS_LOCAL_SLOTS``) are marked
  with :func:`local_only`.
"""

from __future__ import annotations

import atexit
import os
import tempfile

import requests

from .slurm import SlurmCluster, available

MAX_NODES = 32  # concurrent Slurm jobs per test server (the node has 256 CPUs)

_cluster: SlurmCluster | None = None


def mode() -> str:
    return os.environ.get("MLWS_TEST_COMPUTE", "local")


def on_slurm() -> bool:
    return mode() == "slurm"


def local_only(reason: str):
    """A pytest mark: skip this test when jobs run on Slurm, saying why."""
    import pytest

    return pytest.mark.skipif(on_slurm(), reason=f"local compute only: {reason}")


def cluster() -> SlurmCluster:
    """The process's shared Slurm cluster (started on first use, stopped at exit)."""
    global _cluster
    if _cluster is None:
        why = available()
        if why:
            raise RuntimeError(f"MLWS_TEST_COMPUTE=slurm but Slurm cannot run here: {why}")
        _cluster = SlurmCluster(tempfile.mkdtemp(prefix="mlws-slurm-")).start()
        atexit.register(_cluster.stop)
    return _cluster


def server_env() -> dict:
    return cluster().env() if on_slurm() else {}


def attach(url: str, headers: dict | None = None) -> None:
    """Makes workspace default's ``local`` compute the Slurm cluster (no-op off Slurm)."""
    if not on_slurm():
        return
    body = {"name": "local", "type": "slurm", "partition": cluster().partition,
            "max_instances": MAX_NODES, "time_limit": "30:00"}
    r = requests.post(f"{url}/api/v1/workspaces/default/computes", json=body, timeout=30,
                      headers=headers)
    if r.status_code in (401, 403):
        return  # a server with authentication on: its tests are about that, jobs stay local
    if r.status_code != 201:
        raise RuntimeError(f"cannot attach the Slurm compute: {r.status_code} {r.text}")
