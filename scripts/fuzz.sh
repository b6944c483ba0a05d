#!/usr/bin/env bash
# Runs every libFuzzer target in build dir $1 for FUZZ_SECONDS (default 60) each.
set -euo pipefail
BUILD=${1:-build/fuzz}
SECS=${FUZZ_SECONDS:-60}
for f in "$BUILD"/fuzz/*_fuzz; do
  echo "== $f for ${SECS}s"
  mkdir -p "$BUILD/corpus/$(basename "$f")"
  "$f" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 "$BUILD/corpus/$(basename "$f")"
done
