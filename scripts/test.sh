#!/usr/bin/env bash
# Runs every test suite against the build in $1 (default build/release):
#   1. unit tests (ctest / GoogleTest)
#   2. end-to-end tests of the real binary over HTTP on loopback (pytest, tests/e2e), and the
#      OpenAPI document checked against real responses and by schemathesis (tests/schemathesis)
#   3. MLflow client compatibility with mlflow 2.x and 3.x (pytest, tests/compat), and the MLflow 3
#      module checked against the real `mlflow server` 3.x (scripts/mlflow3_reference.sh)
#   4. the studio: unit tests (vitest) and browser tests (playwright-core + chromium, web/e2e)
#   5. the store-heavy end-to-end modules and the MLflow 2.x compatibility suite again on
#      PostgreSQL 15 (MLWS_TEST_BACKEND=postgres), in a throwaway cluster started here (it also
#      serves the PostgreSQL half of the unit tests' metadata conformance suite)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
export MLWS_BIN="$PWD/$BUILD/mlws"
fail=0
# The throwaway PostgreSQL cluster (scripts/pg.sh), stopped on exit. Without postgresql-15 the
# PostgreSQL passes are skipped, saying so.
PG_DIR=$(mktemp -u /tmp/mlws-pg-test-XXXXXX)
trap 'scripts/pg.sh stop "$PG_DIR"' EXIT
if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  MLWS_TEST_PG_URI=$(scripts/pg.sh start "$PG_DIR") || { echo "cannot start PostgreSQL"; fail=1; }
  export MLWS_TEST_PG_URI
else
  echo "PostgreSQL 15 is not installed: the PostgreSQL passes are skipped"
fi
echo "== unit tests"
(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)") || fail=1
echo "== end-to-end tests"
# test_openapi.py regenerates the studio's API types with web/'s pinned openapi-typescript.
(cd web && { [ -x node_modules/.bin/openapi-typescript ] || npm ci --no-audit --no-fund; }) || fail=1
.venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e || fail=1
echo "== OpenAPI: real responses against the served schemas, and schemathesis (bounded)"
.venv-schemathesis/bin/python -m pytest -q -p no:cacheprovider tests/schemathesis || fail=1
echo "== MLflow 2.x client compatibility"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/compat || fail=1
echo "== MLflow 3.x client compatibility"
.venv-mlflow3/bin/python -m pytest -q -p no:cacheprovider tests/compat || fail=1
echo "== MLflow 3 compatibility module against the real mlflow 3.x server"
scripts/mlflow3_reference.sh || fail=1
if [ -n "${MLWS_TEST_PG_URI:-}" ]; then
  echo "== end-to-end store modules on PostgreSQL"
  MLWS_TEST_BACKEND=postgres .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/e2e/test_server_basics.py tests/e2e/test_bad_input.py tests/e2e/test_durability.py \
    tests/e2e/test_workspaces_api.py tests/e2e/test_assets_api.py tests/e2e/test_registry_input.py \
    tests/e2e/test_logged_models.py tests/e2e/test_traces_v3.py tests/e2e/test_secrets.py \
    tests/e2e/test_auth.py || fail=1
  echo "== schedules, sweeps, online and batch endpoints and pipelines on PostgreSQL (the examples that build PyPI environments run on SQLite only)"
  MLWS_TEST_BACKEND=postgres .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/e2e/test_schedules.py tests/e2e/test_online_endpoints.py tests/e2e/test_pipelines.py \
    tests/e2e/test_sweeps.py tests/e2e/test_sweeps_early_termination.py \
    tests/e2e/test_sweeps_bayesian.py \
    tests/e2e/test_batch_endpoints.py \
    -k "not example" || fail=1
  echo "== MLflow 2.x client compatibility on PostgreSQL"
  MLWS_TEST_BACKEND=postgres .venv/bin/python -m pytest -q -p no:cacheprovider tests/compat || fail=1
fi
echo "== studio"
(cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } \
  && { [ -f dist/index.html ] || npm run build; } \
  && npx vitest run && node --test --test-concurrency=1 e2e/studio.e2e.mjs e2e/workloads.e2e.mjs) || fail=1
exit $fail
