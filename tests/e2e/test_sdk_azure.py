"""azure-ai-ml's own entity objects (`from azure.ai.ml import command, Input`) handed to the mlws
SDK as they are. azure-ai-ml lives in .venv-sdk (scripts/venv.sh, python/requirements-sdk.txt),
so the client code runs there as a subprocess; skipped when that venv is missing."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SDK_PY = REPO / ".venv-sdk" / "bin" / "python"

SNIPPET = textwrap.dedent("""
    import io, json, os, sys
    from azure.ai.ml import Input, Output, command
    from azure.ai.ml.entities import Data, Environment, Model
    from mlws import MLClient

    ml = MLClient(os.environ["MLWS_URL"], "default")
    job = command(
        command="python show.py ${{inputs.text}} ${{inputs.n}}",
        code="./src",
        inputs={"text": Input(type="uri_file", path="./data.txt"), "n": 3},
        outputs={"out": Output(type="uri_folder")},
        environment=Environment(image="library/python:latest"),
        compute="local",
        experiment_name="azure-objects",
        display_name="from-azure-ai-ml",
    )
    submitted = ml.jobs.create_or_update(job)
    log = io.StringIO()
    done = ml.jobs.stream(submitted.name, file=log)
    data = ml.data.create_or_update(Data(name="azure-data", path="./data.txt", type="uri_file"))
    model = ml.models.create_or_update(Model(name="azure-model", path="./src",
                                             type="custom_model"))
    print(json.dumps({"status": done.status, "display_name": done.display_name,
                      "experiment": done.experiment_name, "log": log.getvalue(),
                      "data": [data.name, data.version, data.type],
                      "model": [model.name, model.version, model.type]}))
""")


def test_azure_ai_ml_entities_are_accepted(server, tmp_path):
    if not SDK_PY.exists():
        pytest.skip(".venv-sdk is missing (scripts/venv.sh builds it)")
    probe = subprocess.run([str(SDK_PY), "-c", "import azure.ai.ml, mlws"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("azure-ai-ml or mlws is not installed in .venv-sdk")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "show.py").write_text(
        "import sys\nprint('text:', open(sys.argv[1]).read().strip(), 'n:', sys.argv[2])\n")
    (tmp_path / "data.txt").write_text("from azure\n")
    (tmp_path / "client.py").write_text(SNIPPET)
    r = subprocess.run([str(SDK_PY), "client.py"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=180, env={**os.environ, "MLWS_URL": server.url})
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert (got["status"], got["display_name"], got["experiment"]) == (
        "Completed", "from-azure-ai-ml", "azure-objects")
    assert "text: from azure n: 3" in got["log"]
    assert got["data"] == ["azure-data", "1", "uri_file"]
    assert got["model"] == ["azure-model", "1", "custom_model"]
