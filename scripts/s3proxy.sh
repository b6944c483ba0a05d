#!/usr/bin/env bash
# S3Proxy 2.6.0 for tests: an S3-compatible server on the local filesystem (jclouds "filesystem"
# provider) with a fixed test access key, so the S3 blob store and `--artifacts-destination
# s3://...` are tested against a real S3 wire protocol, SigV4 checks included.
#
#   scripts/s3proxy.sh install                 fetch the jar into ~/.m2 (make deps runs this)
#   scripts/s3proxy.sh jar                     print the jar's path (exit 1 when missing)
#   scripts/s3proxy.sh run DIR PORT [BUCKET..] serve DIR/data on 127.0.0.1:PORT (foreground;
#                                              the buckets are created first)
#
# Test credentials (not secrets): AWS_ACCESS_KEY_ID=mlws-test-key,
# AWS_SECRET_ACCESS_KEY=mlws-test-secret. The server is ready when PORT accepts connections.
set -euo pipefail
VERSION=2.6.0
JAR="${MLWS_S3PROXY_JAR:-$HOME/.m2/repository/org/gaul/s3proxy/$VERSION/s3proxy-$VERSION-jar-with-dependencies.jar}"

case "${1:-}" in
  install)
    [ -f "$JAR" ] && exit 0
    command -v mvn >/dev/null || { echo "s3proxy: mvn is missing (apt-get install maven)" >&2; exit 1; }
    mvn -q dependency:get -Dartifact="org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies"
    [ -f "$JAR" ] || { echo "s3proxy: mvn ran but $JAR is missing" >&2; exit 1; }
    ;;
  jar)
    [ -f "$JAR" ] || { echo "s3proxy: $JAR is missing: run make deps" >&2; exit 1; }
    command -v java >/dev/null || { echo "s3proxy: java is missing" >&2; exit 1; }
    echo "$JAR"
    ;;
  run)
    dir=$2 port=$3
    shift 3
    [ -f "$JAR" ] || { echo "s3proxy: $JAR is missing: run make deps" >&2; exit 1; }
    mkdir -p "$dir/data"
    for b in "$@"; do mkdir -p "$dir/data/$b"; done
    cat > "$dir/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=mlws-test-key
s3proxy.credential=mlws-test-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
jclouds.identity=mlws-test-key
jclouds.credential=mlws-test-secret
CONF
    exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" --properties "$dir/s3proxy.conf"
    ;;
  *)
    echo "usage: $0 install | jar | run DIR PORT [BUCKET...]" >&2
    exit 2
    ;;
esac
