#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the tests and prints its URL.
#   scripts/postgres.sh start DIR PORT    initialises DIR (if new) and starts the server
#   scripts/postgres.sh stop DIR          stops it
# initdb and pg_ctl refuse to run as root, so as root they run as the postgres user.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/pg_ctl" ]] || { echo "PostgreSQL is not installed (scripts/install-dependencies.sh --test)" >&2; exit 1; }

as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    dir=$2 port=$3
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir" && chmod 700 "$dir"
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        as_postgres "$bin/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on" start >/dev/null
    for db in dauys_test dauys_durability; do
        as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
            as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    done
    echo "postgres://postgres@127.0.0.1:$port/dauys_test?sslmode=disable"
    ;;
stop)
    as_postgres "$bin/pg_ctl" -D "$2" -m fast stop >/dev/null || true
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
