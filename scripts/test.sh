#!/usr/bin/env bash
# Runs every test suite against the build in $1 (default build/release):
#   1. unit tests (ctest / GoogleTest)
#   2. end-to-end tests of the real binary over HTTP on loopback (pytest, tests/e2e), and the
#      OpenAPI document checked against real responses and by schemathesis (tests/schemathesis)
#   3. MLflow client compatibility with mlflow 2.x and 3.x (pytest, tests/compat), and the MLflow 3
#      module checked against the real `mlflow server` 3.x (scripts/mlflow3_reference.sh)
#   4. the studio: unit tests (vitest) and browser tests (playwright-core + chromium, web/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
export MLWS_BIN="$PWD/$BUILD/mlws"
fail=0
echo "== unit tests"
(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)") || fail=1
echo "== end-to-end tests"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e || fail=1
echo "== OpenAPI: real responses against the served schemas, and schemathesis (bounded)"
.venv-schemathesis/bin/python -m pytest -q -p no:cacheprovider tests/schemathesis || fail=1
echo "== MLflow 2.x client compatibility"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/compat || fail=1
echo "== MLflow 3.x client compatibility"
.venv-mlflow3/bin/python -m pytest -q -p no:cacheprovider tests/compat || fail=1
echo "== MLflow 3 compatibility module against the real mlflow 3.x server"
scripts/mlflow3_reference.sh || fail=1
echo "== studio"
(cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } \
  && { [ -f dist/index.html ] || npm run build; } \
  && npx vitest run && node --test --test-concurrency=1 e2e/studio.e2e.mjs) || fail=1
exit $fail
