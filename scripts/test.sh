#!/usr/bin/env bash
# Runs every test suite against the build in $1 (default build/release):
#   1. unit tests (ctest / GoogleTest)
#   2. end-to-end tests of the real binary over HTTP on loopback (pytest, tests/e2e), and the
#      OpenAPI document checked against real responses and by schemathesis (tests/schemathesis)
#   3. MLflow client compatibility with mlflow 2.x and 3.x (pytest, tests/compat), and the MLflow 3
#      module checked against the real `mlflow server` 3.x (scripts/mlflow3_reference.sh)
#   4. the studio: unit tests (vitest) and browser tests (playwright-core + chromium, web/e2e)
#   5. the whole end-to-end suite and the MLflow 2.x and 3.x compatibility suites again on
#      PostgreSQL 15 + S3Proxy (MLWS_TEST_BACKEND=postgres MLWS_TEST_ARTIFACTS=s3): every test
#      server gets a fresh database in a throwaway cluster started here (it also serves the
#      PostgreSQL half of the unit tests' metadata conformance suite) and its own prefix in one
#      S3Proxy bucket per pytest process
#   6. the generic job modules again with their jobs on a single-node Slurm cluster
#      (MLWS_TEST_COMPUTE=slurm: workspace default's `local` compute is a `type: slurm` compute)
# Each pass prints its runtime ("== ... took N s"); a table of them all (and whether each passed)
# ends the output, so it shows where the time goes.
# The end-to-end and compatibility passes run their modules on $MLWS_TEST_WORKERS pytest
# processes (pytest-xdist, default 3: most of a test is waiting on a server, a job or a
# socket); the modules that measure the server under load (slow clients, idle connections,
# connection caps, back-pressure) run after them on their own. Every test server builds job
# environments into one folder for the whole run ($MLWS_TEST_ENVIRONMENTS_DIR), so the curated
# environments are built once.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
export MLWS_BIN="$PWD/$BUILD/mlws"
fail=0
# timed "what" cmd...: runs one pass, says how long it took and keeps that for the summary.
timings=()
timed() {
  local what=$1 t0=$SECONDS rc=0
  shift
  echo "== $what"
  "$@" || rc=$?
  echo "== $what took $((SECONDS - t0)) s"
  timings+=("$(printf '%6d s  %-6s  %s' $((SECONDS - t0)) "$([ $rc = 0 ] && echo ok || echo FAILED)" "$what")")
  return $rc
}
summary() {
  echo "== time per pass"
  printf '%s\n' "${timings[@]}"
  echo "$(printf '%6d' $SECONDS) s          in all"
}
# The throwaway PostgreSQL cluster (scripts/pg.sh), stopped on exit. Without postgresql-15 the
# PostgreSQL passes are skipped, saying so.
PG_DIR=$(mktemp -u /tmp/mlws-pg-test-XXXXXX)
ENVS_ROOT=$(mktemp -d /tmp/mlws-test-envs-XXXXXX)
export MLWS_TEST_ENVIRONMENTS_DIR="$ENVS_ROOT/envs"
trap 'scripts/pg.sh stop "$PG_DIR"; rm -rf "$ENVS_ROOT"' EXIT
WORKERS=${MLWS_TEST_WORKERS:-3}
# Modules run on their own after the parallel part of a pass: they measure the server's front
# door under load, or its memory while it streams, which other tests' servers on the same cores
# would distort.
SERIAL=(test_slow_clients test_front_door_idle test_security_http test_backpressure
  test_streamed_history)
# pytest_parallel python args...: the modules of args on $WORKERS processes (each module's tests
# on one process, so module fixtures are built once), minus SERIAL; then SERIAL's modules of
# args on their own.
pytest_parallel() {
  local py=$1 rc=0 serial=() skip=() m a
  shift
  for m in "${SERIAL[@]}"; do
    skip+=("--ignore=tests/e2e/$m.py")
    local wanted=0
    for a in "$@"; do
      if [ "$a" = tests/e2e ] || [ "$a" = "tests/e2e/$m.py" ]; then wanted=1; fi
      if [ "$a" = "--ignore=tests/e2e/$m.py" ]; then wanted=0 && break; fi
    done
    [ $wanted = 0 ] || serial+=("tests/e2e/$m.py")
  done
  local parallel=()  # the args minus serial modules named on their own (--ignore skips only those found in a folder)
  for a in "$@"; do
    [[ " ${serial[*]} " == *" $a "* ]] || parallel+=("$a")
  done
  if [ ${#parallel[@]} -gt 0 ]; then
    "$py" -m pytest -q -p no:cacheprovider -n "$WORKERS" --dist loadfile "${parallel[@]}" \
      "${skip[@]}" || rc=$?
  fi
  [ "$rc" = 5 ] && rc=0  # every module found was a serial one
  if [ ${#serial[@]} -gt 0 ]; then
    "$py" -m pytest -q -p no:cacheprovider "${serial[@]}" || rc=1
  fi
  return $rc
}
if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  MLWS_TEST_PG_URI=$(scripts/pg.sh start "$PG_DIR") || { echo "cannot start PostgreSQL"; fail=1; }
  export MLWS_TEST_PG_URI
else
  echo "PostgreSQL 15 is not installed: the PostgreSQL passes are skipped"
fi
unit_tests() { (cd "$BUILD" && ctest --output-on-failure -j "$(nproc)"); }
timed "unit tests" unit_tests || fail=1
# test_openapi.py regenerates the studio's API types with web/'s pinned openapi-typescript.
(cd web && { [ -x node_modules/.bin/openapi-typescript ] || npm ci --no-audit --no-fund; }) || fail=1
timed "end-to-end tests" pytest_parallel .venv/bin/python tests/e2e || fail=1
timed "OpenAPI: real responses against the served schemas, and schemathesis (bounded)" \
  .venv-schemathesis/bin/python -m pytest -q -p no:cacheprovider tests/schemathesis || fail=1
timed "MLflow 2.x client compatibility" \
  pytest_parallel .venv/bin/python tests/compat || fail=1
timed "MLflow 3.x client compatibility" \
  pytest_parallel .venv-mlflow3/bin/python tests/compat || fail=1
timed "MLflow 3 compatibility module against the real mlflow 3.x server" \
  scripts/mlflow3_reference.sh || fail=1
# The PostgreSQL + S3Proxy passes; without S3Proxy (Java or its jar missing) they run on
# PostgreSQL with local artifact folders, saying so.
if [ -n "${MLWS_TEST_PG_URI:-}" ]; then
  export MLWS_TEST_BACKEND=postgres
  if scripts/s3proxy.sh jar >/dev/null; then
    export MLWS_TEST_ARTIFACTS=s3
  else
    echo "S3Proxy is not installed (make deps): the PostgreSQL passes keep artifacts in local folders"
  fi
  # Run once, on the first pass, not here: modules about the HTTP layer, the docs and the studio's
  # files (no backend involved), and modules that start their own PostgreSQL, S3Proxy or Slurm.
  ONCE=(test_slow_clients test_front_door_idle test_security_http test_security_limits test_tls
    test_studio_static test_openapi test_route_matrix test_docs_commands test_sdk_docs
    test_jobs_slurm test_postgres_backend test_multi_server test_multi_server_endpoints
    test_s3_artifacts test_s3_datastores test_s3_deployments test_s3_registries test_doctor)
  IGNORE=()
  for m in "${ONCE[@]}"; do IGNORE+=("--ignore=tests/e2e/$m.py"); done
  timed "end-to-end tests on PostgreSQL + S3Proxy" \
    pytest_parallel .venv/bin/python tests/e2e "${IGNORE[@]}" || fail=1
  timed "MLflow 2.x client compatibility on PostgreSQL + S3Proxy" \
    pytest_parallel .venv/bin/python tests/compat || fail=1
  timed "MLflow 3.x client compatibility on PostgreSQL + S3Proxy" \
    pytest_parallel .venv-mlflow3/bin/python tests/compat || fail=1
  unset MLWS_TEST_BACKEND MLWS_TEST_ARTIFACTS
fi
timed "job modules on Slurm" env MLWS_TEST_COMPUTE=slurm \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_jobs.py \
  tests/e2e/test_jobs_assets.py tests/e2e/test_jobs_compute.py tests/e2e/test_jobs_restart.py \
  || fail=1
studio() {
  (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } \
    && { [ -f dist/index.html ] || npm run build; } \
    && npx vitest run && node --test --test-concurrency=1 e2e/studio.e2e.mjs e2e/workloads.e2e.mjs)
}
timed "studio" studio || fail=1
summary
exit $fail
