"""docs/sdk.md as written: its job.yml, its CLI line and its first Python block (with the test
server's URL for http://127.0.0.1:5000) each run the same job to Completed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from conftest import wait_for_binary

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "sdk.md").read_text()


def block(lang: str) -> str:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)[0]


def test_yaml_cli_and_python_of_sdk_md_run_the_same_job(server, tmp_path):
    (tmp_path / "job.yml").write_text(block("yaml"))
    cli_line = block("sh").strip()
    assert cli_line == "mlws job create -f job.yml --stream"
    cli = subprocess.run([wait_for_binary(), "--url", server.url, *cli_line.split()[1:]],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert cli.returncode == 0, cli.stderr
    assert "hello world" in cli.stdout

    script = block("python").replace("http://127.0.0.1:5000", server.url)
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    py = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                        text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert py.returncode == 0, py.stderr
    assert py.stdout.count("hello world") == 2 and "Completed" in py.stdout

    jobs = requests.get(f"{server.url}/api/v1/workspaces/default/jobs", timeout=10).json()["value"]
    hello = [j for j in jobs if j["experiment_name"] == "hello-sdk"]
    assert len(hello) == 3 and {j["status"] for j in hello} == {"Completed"}
    assert {j["resolved_command"] for j in hello} == {'echo "hello world"'}
