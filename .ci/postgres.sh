# shellcheck shell=bash
# Start a throwaway PostgreSQL server for the test suite. SOURCE this file:
#
#     . .ci/postgres.sh && .venv/bin/pytest
#
# It installs Debian's `postgresql` package when the server binaries are missing (as root
# only), initialises a private cluster in a temporary directory, starts it on 127.0.0.1 on a
# free port (unix socket in the same directory), creates a database and exports
#
#     SETU_TEST_POSTGRES_URL=postgresql+psycopg://setu@127.0.0.1:PORT/setu_test
#
# The server is stopped and its directory removed when the sourcing shell exits (or run
# `setu_pg_stop`). When anything fails it prints a warning and leaves SETU_TEST_POSTGRES_URL
# unset, so the PostgreSQL tests skip with that reason; under CI (CI=true) it fails instead.

_setu_pg_log() { printf '[postgres.sh] %s\n' "$*" >&2; }

_setu_pg_bindir() {
    local found
    found=$(command -v pg_ctl 2>/dev/null || true)
    if [ -n "$found" ] && [ -x "$(dirname "$(readlink -f "$found")")/initdb" ]; then
        dirname "$(readlink -f "$found")"
        return 0
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$found" ] && [ -x "$found/pg_ctl" ] && [ -x "$found/initdb" ]; then
        printf '%s\n' "$found"
        return 0
    fi
    return 1
}

_setu_pg_install() {
    if [ "$(id -u)" != "0" ]; then
        _setu_pg_log "PostgreSQL server binaries not found and not root: install Debian's postgresql package"
        return 1
    fi
    _setu_pg_log "installing Debian's postgresql package"
    apt-get update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
}

_setu_pg_free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

_setu_pg_start() {
    local bindir dir port run=()
    bindir=$(_setu_pg_bindir) || { _setu_pg_install && bindir=$(_setu_pg_bindir); } || return 1
    dir=$(mktemp -d "${TMPDIR:-/tmp}/setu-pg.XXXXXX") || return 1
    SETU_PG_DIR=$dir
    if [ "$(id -u)" = "0" ]; then
        id -u postgres >/dev/null 2>&1 || { _setu_pg_log "no 'postgres' system user"; return 1; }
        chown postgres: "$dir" || return 1
        run=(runuser -u postgres --)
    fi
    port=$(_setu_pg_free_port) || return 1
    "${run[@]}" "$bindir/initdb" -D "$dir/data" -U setu -A trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { _setu_pg_log "initdb failed:"; cat "$dir/initdb.log" >&2; return 1; }
    "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { _setu_pg_log "server did not start:"; cat "$dir/server.log" >&2; return 1; }
    SETU_PG_STOP="${run[*]} $bindir/pg_ctl -D $dir/data -m fast stop"
    "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U setu setu_test || return 1
    export SETU_TEST_POSTGRES_URL="postgresql+psycopg://setu@127.0.0.1:$port/setu_test"
}

setu_pg_stop() {
    if [ -n "${SETU_PG_STOP:-}" ]; then
        eval "$SETU_PG_STOP" >/dev/null 2>&1 || true
    fi
    if [ -n "${SETU_PG_DIR:-}" ]; then
        rm -rf "$SETU_PG_DIR"
    fi
    unset SETU_PG_STOP SETU_PG_DIR SETU_TEST_POSTGRES_URL
}

unset SETU_TEST_POSTGRES_URL
if _setu_pg_start; then
    _setu_pg_log "PostgreSQL ready: $SETU_TEST_POSTGRES_URL (stops on exit, or run setu_pg_stop)"
    trap 'setu_pg_stop' EXIT
else
    setu_pg_stop
    if [ "${CI:-}" = "true" ]; then
        _setu_pg_log "ERROR: could not start PostgreSQL; CI needs it for the postgres tests"
        exit 1
    fi
    _setu_pg_log "WARNING: could not start PostgreSQL; tests marked 'postgres' will be skipped"
fi
