#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store/iam conformance tests (run as root).
#
#   eval "$(scripts/pg-test.sh start)"   # or just `scripts/pg-test.sh`; prints the export line
#   scripts/pg-test.sh stop              # stops it and removes its directory
#
# Idempotent: `start` on a running cluster only prints the export line again. The cluster lives
# in $FEDGATE_PG_DIR (default /tmp/fedgate-pg-test), owned by user postgres, trust auth, listening
# on 127.0.0.1:$FEDGATE_PG_PORT (default 55432) with its socket in the same directory; the system
# cluster is not touched. Everything except the export line goes to stderr so `eval` is safe.
set -euo pipefail

DIR=${FEDGATE_PG_DIR:-/tmp/fedgate-pg-test}
PORT=${FEDGATE_PG_PORT:-55432}
DB=fedgate_test
ACTION=${1:-start}

log() { printf 'pg-test: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "run as root (initdb and pg_ctl run as user postgres)"; exit 1; }

find_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$bin" ] && [ -x "$bin/initdb" ] && printf '%s' "$bin"
}

BIN=$(find_bin || true)
if [ -z "$BIN" ]; then
    [ "$ACTION" = stop ] && { log "postgresql is not installed; nothing to stop"; exit 0; }
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y postgresql >&2 || { apt-get update >&2 && apt-get install -y postgresql >&2; }
    BIN=$(find_bin) || { log "initdb not found after installing postgresql"; exit 1; }
fi

as_postgres() { runuser -u postgres -- "$@"; }
running() { [ -f "$DIR/data/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

case "$ACTION" in
start)
    if ! running; then
        if [ ! -f "$DIR/data/PG_VERSION" ]; then
            rm -rf "$DIR"
            mkdir -p "$DIR"
            chown postgres:postgres "$DIR"
            chmod 700 "$DIR"
            log "initdb in $DIR/data"
            as_postgres "$BIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync >&2
        fi
        log "starting on 127.0.0.1:$PORT"
        as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
            -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
    fi
    if ! as_postgres "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" postgres | grep -q 1; then
        as_postgres "$BIN/createdb" -h "$DIR" -p "$PORT" -U postgres "$DB" >&2
    fi
    echo "export FEDGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PORT/$DB"
    ;;
stop)
    if running; then
        as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2
    fi
    rm -rf "$DIR"
    log "stopped"
    ;;
*)
    log "usage: $0 [start|stop]"
    exit 2
    ;;
esac
