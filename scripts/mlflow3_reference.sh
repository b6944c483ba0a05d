#!/usr/bin/env bash
# Runs tests/compat/test_mlflow3.py and test_mlflow3_otlp.py against the real MLflow 3 server from PyPI (the full mlflow in
# .venv-mlflow3-server, built by scripts/venv.sh), to show that each test is right: it starts
# `mlflow server` on a free loopback port below 32768 with a temporary sqlite backend and artifact
# folder (MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS, ALLOWED_SCHEMES=http: the webhook tests use a loopback http URL), waits for /health, runs the module with COMPAT_TARGET_URL, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-mlflow3-server
tmp=$(mktemp -d)
port=$(PYTHONPATH=python "$VENV/bin/python" -c 'from mlws_testkit.net import free_port; print(free_port())')
MLFLOW_DISABLE_TELEMETRY=true MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https "$VENV/bin/mlflow" server --host 127.0.0.1 --port "$port" \
  --backend-store-uri "sqlite:///$tmp/mlflow.db" --artifacts-destination "$tmp/artifacts" \
  --workers 1 >"$tmp/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# Wait for the server's own readiness signal (its /health answers), not a fixed sleep; give up
# if the process dies or after 120 s (a cold start migrates the sqlite schema).
for _ in $(seq 1200); do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$tmp/server.log" >&2; exit 1; fi
  if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { tail -50 "$tmp/server.log" >&2; exit 1; }
COMPAT_TARGET_URL="http://127.0.0.1:$port" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  tests/compat/test_mlflow3.py tests/compat/test_mlflow3_otlp.py "$@"
