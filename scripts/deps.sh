#!/usr/bin/env bash
# Installs everything mlws needs to build and test on Debian 12: Debian packages (only the missing
# ones), the studio's npm packages (web/node_modules) and the Python virtualenvs used by the
# compatibility tests and the benchmark.
# Idempotent: a second run with everything present does nothing but check.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PKGS=(
  build-essential cmake ninja-build ccache mold pkg-config git  # mold: links in seconds
  libboost-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libcurl4-openssl-dev libpq-dev libarchive-dev libzstd-dev libsodium-dev libargon2-dev
  clang clang-format libclang-rt-14-dev python3 python3-venv curl openssl linux-perf
  bubblewrap  # the job sandbox (docs/security.md "Job sandbox")
  libcctz-dev  # schedules' time zones from the system tz database (docs/schedules.md)
)

# Test-only Debian packages: the studio's browser tests drive Debian's chromium; wrk drives
# bench/front_door_bench.py; the upload tests pack archives with `tar --zstd`. `make deps-cpp`
# (MLWS_SKIP_TEST_DEPS=1) leaves them out.
[ "${MLWS_SKIP_TEST_DEPS:-0}" = 1 ] || DEB_PKGS+=(chromium wrk zstd)
# The Slurm compute tests start a single-node Slurm 22.05 (python/mlws_testkit/slurm.py).
[ "${MLWS_SKIP_TEST_DEPS:-0}" = 1 ] || DEB_PKGS+=(slurm-wlm munge)

missing=()
# The studio (web/) builds with Node.js (>= 20) and npm; a node from another source is kept.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Vite 7 and Vitest 4 need Node.js >= 20 (Debian 12's own nodejs is 18): say so plainly.
# `make run` (MLWS_SKIP_TEST_DEPS=1) then serves without the studio; `make test` stops here.
node_ok=1
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  node_ok=0
  echo "deps: the studio (web/) needs Node.js >= 20, found $(node --version); install a newer nodejs" >&2
  [ "${MLWS_SKIP_TEST_DEPS:-0}" = 1 ] || exit 1
  echo "deps: continuing without the studio: the server runs, its web UI is not built" >&2
fi

# The studio's npm packages, exactly as package-lock.json pins them; again only when the lock changed.
if [ "$node_ok" = 1 ] && [ -f web/package-lock.json ] &&
   [ ! web/node_modules/.package-lock.json -nt web/package-lock.json ]; then
  echo "deps: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund)
fi

# S3Proxy (tests of the S3 blob store and s3:// artifacts): Java 17 + Maven fetch the jar into
# ~/.m2 once (scripts/s3proxy.sh).
if [ "${MLWS_SKIP_TEST_DEPS:-0}" != 1 ]; then
  s3p_missing=()
  command -v java >/dev/null || s3p_missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || s3p_missing+=(maven)
  if [ ${#s3p_missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${s3p_missing[@]}"
  fi
  ./scripts/s3proxy.sh install
fi

if [ "${MLWS_SKIP_PYTHON:-0}" != 1 ]; then
  ./scripts/venv.sh
fi
