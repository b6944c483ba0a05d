#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks.
#   scripts/pg.sh start DIR   initdb + pg_ctl start in DIR (created; must not hold a cluster yet),
#                             on a free loopback port below 32768 with its unix socket in DIR;
#                             prints the connection URI (postgresql://mlws@127.0.0.1:PORT/postgres)
#   scripts/pg.sh stop DIR    stops the cluster and removes DIR
# PostgreSQL refuses to run as root: as root the cluster runs as `nobody` (DIR is chowned to it).
# Durability settings stay PostgreSQL's defaults (fsync, synchronous_commit on), so benchmarks
# measure committed writes. Needs Debian's postgresql-15 (/usr/lib/postgresql/15/bin).
set -euo pipefail
PGBIN=${MLWS_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 not found in $PGBIN (apt-get install postgresql-15)" >&2; exit 3; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown nobody "$dir"
    chmod 700 "$dir"
    as_owner "$PGBIN/initdb" -D "$dir/data" -U mlws --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: ask the kernel for one below 32768 (bind, read it back, release), retry on a race.
    for attempt in 1 2 3 4 5; do
      port=$(python3 -c 'import random,socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()')
      if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB" \
          start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "postgresql://mlws@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
