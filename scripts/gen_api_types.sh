#!/usr/bin/env bash
# Regenerates the studio's API types (web/src/api/openapi.gen.ts) from the /api/v1/openapi.json
# that the built server (default build/release/mlws) serves. tests/e2e/test_openapi.py fails
# when the committed file differs from what the server serves now.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MLWS_BIN:-build/release/mlws}
tmp=$(mktemp -d)
port=$(python3 -c 'import sys; sys.path.insert(0, "python"); from mlws_testkit.net import free_port; print(free_port())')
"$BIN" server --host 127.0.0.1 --port "$port" --home "$tmp/home" >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$port/api/v1/openapi.json" -o "$tmp/openapi.json" && break
  sleep 0.1
done
[ -s "$tmp/openapi.json" ] || { cat "$tmp/log"; exit 1; }
(cd web && node_modules/.bin/openapi-typescript "$tmp/openapi.json" -o src/api/openapi.gen.ts)
