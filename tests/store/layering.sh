#!/bin/sh
# Fails if the store library calls up into a higher layer (tracking, jobs, assets, auth,
# serving...): every mlws:: symbol libmlws_store.a uses must be defined in the store itself or in
# the layers below it, entities and common.
# Usage: layering.sh libmlws_store.a libmlws_entities.a libmlws_common.a
set -eu
store="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -C --defined-only "$@" | sed -n 's/^[0-9a-f]* [A-Za-z] //p' | sort -u >"$tmp/defined"
nm -C --undefined-only "$store" | sed -n 's/^ *U //p' | grep '^mlws::' | sort -u >"$tmp/used"
up=$(comm -23 "$tmp/used" "$tmp/defined")
if [ -n "$up" ]; then
  echo "libmlws_store.a uses symbols from above it (move them into src/entities/ or the store):" >&2
  echo "$up" >&2
  exit 1
fi
echo "libmlws_store.a: $(wc -l <"$tmp/used") mlws symbols used, all from store, entities, common"
