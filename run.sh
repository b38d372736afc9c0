#!/usr/bin/env bash
# Runs the service on this machine without Aspire and without containers. Everything it keeps is
# under .data/ (IMAGES_LOCAL_DATA): the PostgreSQL cluster (.data/postgres, started as the postgres
# user when run as root), the blob store (.data/storage), logs (.data/logs) and process ids (.data/run).
#
#   ./run.sh                 PostgreSQL, the migrations, then the Api in the foreground on
#                            http://localhost:8000 with in-process processing; Ctrl+C stops the Api
#                            (the database keeps running for the next start).
#   ./run.sh kafka [N]       The Kafka pipeline in the background, with one environment for all:
#                            PostgreSQL, the development broker (or the Kafka at
#                            IMG_KAFKA_BOOTSTRAP_SERVERS when that is set), the migrations, the Api on
#                            :8000 and N Workers (default 2; 0 for none) on the first free ports from 9090;
#                            returns once every process is healthy. Logs: .data/logs/*.log.
#   ./run.sh worker          One more Worker beside a running `./run.sh kafka`.
#   ./run.sh status          What runs, with its pid and URL.
#   ./run.sh stop            Stops everything run.sh started: Workers, Api, broker, PostgreSQL.
#
# To use an existing PostgreSQL server instead of the local one, set IMG_DB_HOST (and IMG_DB_PORT,
# IMG_DB_USER, IMG_DB_PASSWORD, IMG_DB_NAME) before running. Other IMG_ variables pass through to
# every process. After `./run.sh kafka`, `source .data/run/env` gives a shell the same environment.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
data=${IMAGES_LOCAL_DATA:-$root/.data}
pgdata=$data/postgres
pgport=${IMAGES_LOCAL_PGPORT:-5433}
logs=$data/logs
run=$data/run
api_url=http://localhost:8000

as_postgres() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
pgbin=${pgbin:-$(dirname "$(command -v initdb)")}

die() { echo "run.sh: $*" >&2; exit 1; }

# Starts the local cluster unless IMG_DB_HOST names a server; exports IMG_DB_*.
start_database() {
    if [ -n "${IMG_DB_HOST:-}" ]; then
        return
    fi
    mkdir -p "$data"
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        mkdir -p "$pgdata"
        [ "$(id -u)" = "0" ] && chown postgres:postgres "$pgdata"
        pwfile=$(mktemp)
        echo postgres > "$pwfile"
        [ "$(id -u)" = "0" ] && chown postgres "$pwfile"
        as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 >/dev/null
        rm -f "$pwfile"
    fi
    if ! as_postgres "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
            -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1" start >/dev/null
        echo "PostgreSQL: 127.0.0.1:$pgport (log $pgdata/server.log)"
    fi
    export IMG_DB_HOST=127.0.0.1 IMG_DB_PORT=$pgport IMG_DB_USER=postgres IMG_DB_PASSWORD=postgres
}

stop_database() {
    if [ -f "$pgdata/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        as_postgres "$pgbin/pg_ctl" -D "$pgdata" stop -m fast >/dev/null
        echo "stopped PostgreSQL"
    fi
}

# The process of a pid file, if it still runs the program it was started as.
running_pid() {
    local file=$1 pid
    [ -f "$file" ] || return 1
    pid=$(cat "$file")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "Images\." || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Release builds published as the containers are (the Api and the Worker precompiled with
# ReadyToRun), each into artifacts/publish/PROJECT.
publish=$root/artifacts/publish
build() {
    echo "building (Release, published into $publish; log $logs/build.log)"
    : > "$logs/build.log"
    for project in Images.MigrationService Images.Api Images.Worker Images.DevBroker; do
        dotnet publish -c Release --nologo -v quiet -o "$publish/$project" "$project" >> "$logs/build.log" 2>&1 \
            || { tail -n 30 "$logs/build.log" >&2; die "the build of $project failed"; }
    done
}

# start NAME PROJECT [VAR=VALUE...]: runs the built PROJECT in the background (its own session,
# so it outlives this script and no terminal signal reaches it), output in .data/logs/NAME.log.
start() {
    local name=$1 project=$2
    shift 2
    (
        cd "$publish/$project"
        exec setsid env "$@" dotnet "$project.dll" > "$logs/$name.log" 2>&1 < /dev/null
    ) &
    echo $! > "$run/$name.pid"
}

# wait_healthy NAME URL: until URL/health answers 200, the process dies, or 120 s pass.
wait_healthy() {
    local name=$1 url=$2 pid
    pid=$(cat "$run/$name.pid")
    for _ in $(seq 240); do
        if curl -sf -o /dev/null "$url/health"; then
            echo "$name: $url (pid $pid, log $logs/$name.log)"
            return
        fi
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logs/$name.log" >&2; die "$name exited; see $logs/$name.log (./run.sh stop stops the rest)"; }
        sleep 0.5
    done
    tail -n 30 "$logs/$name.log" >&2
    die "$name did not become healthy within 120 s; see $logs/$name.log (./run.sh stop stops everything)"
}

start_worker() {
    local n=1 port=9090
    while [ -f "$run/worker-$n.pid" ] && running_pid "$run/worker-$n.pid" >/dev/null; do n=$((n + 1)); done
    while port_in_use "$port"; do port=$((port + 1)); done
    # ASPNETCORE_URLS is the Api's: a Worker listens on IMG_WORKER_METRICS_PORT (/metrics, /health).
    start "worker-$n" Images.Worker -u ASPNETCORE_URLS "IMG_WORKER_METRICS_PORT=$port"
    echo "$port" > "$run/worker-$n.port"
    wait_healthy "worker-$n" "http://localhost:$port"
}

kafka() {
    local workers=${1:-2}
    [[ "$workers" =~ ^[0-9]+$ ]] || die "the number of Workers must be a whole number; got '$workers'"
    mkdir -p "$logs" "$run"
    for file in "$run"/*.pid; do
        [ -e "$file" ] || continue
        if running_pid "$file" >/dev/null; then die "already running ($(basename "$file" .pid)); ./run.sh stop first"; fi
        rm -f "$file"
    done
    port_in_use 8000 && die "port 8000 is taken (an AppHost or ./run.sh still running?)"

    build
    start_database
    export IMG_STORAGE_BASE_DIR=${IMG_STORAGE_BASE_DIR:-$data/storage}
    export IMG_BROKER_ENABLED=true
    if [ -z "${IMG_KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
        # The in-memory development broker on a random loopback port: read the address it prints.
        start devbroker Images.DevBroker
        local bootstrap=""
        for _ in $(seq 60); do
            bootstrap=$(sed -n 's/^bootstrap servers: \([^;]*\);.*/\1/p' "$logs/devbroker.log")
            [ -n "$bootstrap" ] && break
            kill -0 "$(cat "$run/devbroker.pid")" 2>/dev/null || break
            sleep 0.5
        done
        [ -n "$bootstrap" ] || { cat "$logs/devbroker.log" >&2; die "the development broker did not start"; }
        echo "development broker: $bootstrap (in memory; pid $(cat "$run/devbroker.pid"), log $logs/devbroker.log)"
        export IMG_KAFKA_BOOTSTRAP_SERVERS=$bootstrap
        # It keeps nothing across restarts: the Api queues every pending image again at start-up.
        export IMG_BROKER_VOLATILE=true
        # It speaks KIP-848's group protocol: Workers join and leave without stopping the group.
        export IMG_KAFKA_GROUP_PROTOCOL=${IMG_KAFKA_GROUP_PROTOCOL:-consumer}
    fi

    # One environment for every process: the IMG_ variables as they are now.
    local name
    for name in $(compgen -e | grep '^IMG_' | sort); do
        printf 'export %s=%q\n' "$name" "${!name}"
    done > "$run/env"

    echo "migrations (log $logs/migrations.log)"
    (cd "$publish/Images.MigrationService" && dotnet Images.MigrationService.dll) > "$logs/migrations.log" 2>&1 \
        || { tail -n 30 "$logs/migrations.log" >&2; die "the migrations failed"; }
    start api Images.Api "ASPNETCORE_URLS=$api_url"
    wait_healthy api "$api_url"
    for _ in $(seq "$workers"); do start_worker; done
    echo "running in the background: Swagger UI at $api_url/docs; ./run.sh status; ./run.sh stop"
    echo "the environment they share: $run/env (source it to run another process by hand)"
}

status() {
    local any=0 file name pid
    for file in "$run"/*.pid; do
        [ -e "$file" ] || continue
        name=$(basename "$file" .pid)
        if pid=$(running_pid "$file"); then
            any=1
            case "$name" in
                api) echo "$name: running, pid $pid, $api_url" ;;
                worker-*) echo "$name: running, pid $pid, http://localhost:$(cat "$run/$name.port")" ;;
                *) echo "$name: running, pid $pid" ;;
            esac
        else
            echo "$name: not running (log $logs/$name.log)"
        fi
    done
    if [ -f "$pgdata/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        any=1
        echo "postgres: running, 127.0.0.1:$pgport, data $pgdata"
    fi
    [ "$any" = 1 ] || echo "nothing runs"
}

# Workers first (they release their images), then the Api, the broker, the database.
stop() {
    local file name pid
    for file in "$run"/worker-*.pid "$run/api.pid" "$run/devbroker.pid"; do
        [ -e "$file" ] || continue
        name=$(basename "$file" .pid)
        if pid=$(running_pid "$file"); then
            kill -TERM "$pid"
            for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
            echo "stopped $name (pid $pid)"
        fi
        rm -f "$file" "$run/$name.port"
    done
    stop_database
}

case "${1:-}" in
    "")
        start_database
        export IMG_STORAGE_BASE_DIR=${IMG_STORAGE_BASE_DIR:-$data/storage}
        export ASPNETCORE_URLS=${ASPNETCORE_URLS:-$api_url}
        dotnet run -c Release --project Images.MigrationService
        exec dotnet run -c Release --project Images.Api --no-launch-profile
        ;;
    kafka) kafka "${2:-2}" ;;
    worker)
        if [ ! -f "$run/env" ] || ! running_pid "$run/api.pid" >/dev/null; then die "start the pipeline first: ./run.sh kafka"; fi
        # shellcheck source=/dev/null
        source "$run/env"
        start_worker
        ;;
    status) status ;;
    stop) stop ;;
    *) die "usage: ./run.sh [kafka [WORKERS] | worker | status | stop]" ;;
esac
