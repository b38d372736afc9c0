#!/usr/bin/env bash
# Runs PostgreSQL from this machine's binaries for the AppHost's local mode: initdb on first use,
# then the server in the foreground on $PGPORT (assigned by Aspire), bound to 127.0.0.1.
# The server refuses to run as root, so as root it runs as the postgres user. Local development
# only: trust authentication on loopback.
set -euo pipefail
data=$1
pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
pgbin=${pgbin:-$(dirname "$(command -v postgres)")}
run() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$data"
if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$data" "$(dirname "$data")"; fi
if [ ! -f "$data/PG_VERSION" ]; then
    run "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
fi
rm -f "$data/postmaster.pid.stale"
exec_args=(-D "$data" -p "$PGPORT" -k "$data" -c listen_addresses=127.0.0.1)
if [ "$(id -u)" = "0" ]; then
    exec runuser -u postgres -- "$pgbin/postgres" "${exec_args[@]}"
else
    exec "$pgbin/postgres" "${exec_args[@]}"
fi
