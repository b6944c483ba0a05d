#!/usr/bin/env bash
# Builds the Python virtualenvs from pinned requirement files:
#   .venv        mlflow 2.x (full: client for compat tests, `mlflow server` and fasttrackml for bench)
#   .venv-mlflow3 mlflow 3.x client (mlflow-skinny + scikit-learn) for compat tests
#   .venv-mlflow3-server full mlflow 3.x: the reference `mlflow server` tests/compat/test_mlflow3.py
#                 is checked against (scripts/mlflow3_reference.sh)
#   .venv-schemathesis schemathesis and a JSON Schema validator for tests/schemathesis
#   .venv-optuna  optuna for Bayesian sweeps (python/mlws_sweep; the server finds it by itself)
#   .venv-sdk     the Python SDK (python/mlws, editable) and azure-ai-ml, for tests/e2e/test_sdk_azure.py
#   .venv-jupyter JupyterLab (+ ipykernel, mlflow-skinny) that compute instances run
# A venv is rebuilt only when its requirements file changes (stamp holds the file's hash).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
build() {
  local dir=$1 req=$2
  local want; want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then return 0; fi
  echo "deps: building $dir from $req"
  rm -rf "$dir"
  "$PY" -m venv "$dir"
  "$dir/bin/pip" install -q --upgrade pip
  "$dir/bin/pip" install -q -r "$req"
  echo "$want" > "$dir/.stamp"
}
build .venv python/requirements.txt
build .venv-mlflow3 python/requirements-mlflow3.txt
build .venv-mlflow3-server python/requirements-mlflow3-server.txt
build .venv-schemathesis python/requirements-schemathesis.txt
build .venv-sdk python/requirements-sdk.txt
build .venv-optuna python/requirements-optuna.txt
build .venv-jupyter python/requirements-jupyter.txt
