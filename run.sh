#!/usr/bin/env bash
# Runs the service on this machine with no containers: a local PostgreSQL cluster under .data/
# (started as the postgres user when run as root), the migrations (Images.MigrationService), then
# the Api on http://localhost:8000 (Swagger UI at /docs). Ctrl+C stops the Api; the database keeps
# running for the next start (stop it with: ./run.sh stop).
# To use an existing PostgreSQL server instead, set IMG_DB_HOST (and IMG_DB_PORT, IMG_DB_USER,
# IMG_DB_PASSWORD, IMG_DB_NAME) before running.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
data=${IMAGES_LOCAL_DATA:-$root/.data}
pgdata=$data/postgres
pgport=${IMAGES_LOCAL_PGPORT:-5433}

as_postgres() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
pgbin=${pgbin:-$(dirname "$(command -v initdb)")}

if [ "${1:-}" = "stop" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$pgdata" stop -m fast || true
    exit 0
fi

if [ -z "${IMG_DB_HOST:-}" ]; then
    mkdir -p "$data"
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        mkdir -p "$pgdata"
        [ "$(id -u)" = "0" ] && chown -R postgres:postgres "$data"
        pwfile=$(mktemp)
        echo postgres > "$pwfile"
        [ "$(id -u)" = "0" ] && chown postgres "$pwfile"
        as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 >/dev/null
        rm -f "$pwfile"
    fi
    if ! as_postgres "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
            -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    export IMG_DB_HOST=127.0.0.1 IMG_DB_PORT=$pgport IMG_DB_USER=postgres IMG_DB_PASSWORD=postgres
fi

export IMG_STORAGE_BASE_DIR=${IMG_STORAGE_BASE_DIR:-$data/storage}
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://localhost:8000}

dotnet run -c Release --project Images.MigrationService
exec dotnet run -c Release --project Images.Api --no-launch-profile
