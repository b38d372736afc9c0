#!/usr/bin/env bash
# The whole pipeline against its own processor and against vipsthumbnail, in one run and on the
# same files (issue 14): PostgreSQL, the development Kafka broker, the Api and 2 Workers started by
# ./run.sh (Release builds, default settings except the rate limits), and
#   (a) drain:  a backlog uploaded while no Worker runs, then 2 Workers started at once; the time
#               from their start to the last image's completion (their start-up included)
#   (b) mixed:  4 clients upload while the 2 Workers process: images per second from the first
#               upload to the last completion; run twice, the first right after start-up (cold)
#   (c) vipsthumbnail: 2 processes over the same files (256 px, JPEG Q=85), halves of the list
#   (d) the native processor alone (Images.Bench, the Workers' processor without the service),
#       2 workers over the same files, making the 256 px JPEG thumbnail only (vipsthumbnail's work)
#   (e) the same processor doing a Worker's whole processing at default settings (renditions as
#       JPEG, WebP, AVIF and PNG for alpha, EXIF, insight), 2 workers: the floor of (a) and (b)
# and, for the drain, the CPU seconds each process used (where the time beyond (e) goes).
# It prints the ratios, upload latency p50/p99 and every process's peak RSS, and writes
# bench/results/pipeline.md and pipeline.tsv (one line per round) and pipeline.svg (a chart).
# Needs bench/corpus.sh first and apt-get install libvips-tools time postgresql-client-15 (psql).
# Usage: ROUNDS=2 COPIES=2 bench/pipeline.sh      (port 8000 must be free; nothing else should run)
set -euo pipefail
cd "$(dirname "$0")"
bench=$PWD
root=$(cd .. && pwd)
rounds=${ROUNDS:-1}
copies=${COPIES:-2}
results=$bench/results
mkdir -p "$results" corpus/tiff
tmp=$(mktemp -d)
chmod 755 "$tmp" # run as root, PostgreSQL runs as the postgres user under it
export IMAGES_LOCAL_DATA=$tmp/data IMAGES_LOCAL_PGPORT=${PGPORT:-5499}
api=http://localhost:8000

cleanup() {
    # shellcheck disable=SC2086 # a list of pids
    if [ -n "${worker_pids:-}" ]; then kill -TERM $worker_pids 2>/dev/null || true; fi
    "$root/run.sh" stop >/dev/null 2>&1 || true
    # The processes' logs of the last run, for a look at where the time went.
    rm -rf "$results/pipeline-logs" && mkdir -p "$results/pipeline-logs"
    cp "$tmp"/worker-*.log "$IMAGES_LOCAL_DATA"/logs/*.log "$results/pipeline-logs/" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# The corpus as bench/thumbnailers.sh sees it: the wallpapers and four LZW TIFFs made from PNGs.
[ -n "$(ls corpus/images 2>/dev/null)" ] || { echo "run bench/corpus.sh first" >&2; exit 1; }
find "$bench/corpus/images" -type f | sort > "$tmp/files.txt"
find corpus/images -maxdepth 1 -name '*.png' -size +500k | sort | head -n 4 | while read -r png; do
    tif="corpus/tiff/$(basename "${png%.png}").tif"
    [ -f "$tif" ] || vips copy "$png" "${tif}[compression=lzw]" >/dev/null 2>&1 || true
    [ -f "$tif" ] && echo "$bench/$tif" >> "$tmp/files.txt"
done
for _ in $(seq "$copies"); do cat "$tmp/files.txt"; done > "$tmp/list.txt"
total=$(wc -l < "$tmp/list.txt")
awk '{ print > (FILENAME ".part" (NR - 1) % 2) }' "$tmp/list.txt"

dotnet build -c Release --nologo -v quiet "$bench/Images.Bench" >/dev/null
bench_dll=$bench/Images.Bench/bin/Release/net10.0/Images.Bench.dll

# The service, without Workers; no rate limit gets in the way of 4 clients.
export IMG_RATE_LIMIT_UPLOAD_MAX=1000000 IMG_RATE_LIMIT_READ_MAX=1000000 IMG_RATE_LIMIT_PROCESS_MAX=1000000
"$root/run.sh" kafka 0 > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; exit 1; }
# shellcheck source=/dev/null
source "$IMAGES_LOCAL_DATA/run/env"
export PGPASSWORD=$IMG_DB_PASSWORD
api_pid=$(cat "$IMAGES_LOCAL_DATA/run/api.pid"); broker_pid=$(cat "$IMAGES_LOCAL_DATA/run/devbroker.pid")
sql() { psql -h "$IMG_DB_HOST" -p "$IMG_DB_PORT" -U "$IMG_DB_USER" -d "${IMG_DB_NAME:-images}" -Atc "$1"; }
now() { date +%s.%N; }

worker_pids=""
start_workers() { # starts 2 Workers at once; their pids in $worker_pids
    worker_pids=""
    for port in 9190 9191; do
        (cd "$root/artifacts/publish/Images.Worker" &&
            exec setsid env -u ASPNETCORE_URLS IMG_WORKER_METRICS_PORT=$port dotnet Images.Worker.dll >> "$tmp/worker-$port.log" 2>&1 < /dev/null) &
        worker_pids="$worker_pids $!"
    done
}
stop_workers() {
    # shellcheck disable=SC2086
    kill -TERM $worker_pids 2>/dev/null || true
    for pid in $worker_pids; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
    worker_pids=""
}
# CPU seconds (user + system) of the given pids, and of the whole machine (/proc/stat).
hz=$(getconf CLK_TCK)
cpu_of() {
    local pid j=0
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] && j=$((j + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    echo "scale=2; $j / $hz" | bc -l
}
# CPU seconds of a phase: cpu_mark before it, cpu_report <phase> after it (machine, Workers, Api,
# PostgreSQL, broker, the rest: the clients, curl, psql and everything else).
cpu_mark() {
    # shellcheck disable=SC2046,SC2086 # lists of pids
    c0=("$(cpu_machine)" "$(cpu_of "$api_pid")" "$(cpu_of "$broker_pid")" "$(cpu_of $(pgrep -u postgres))" "$(cpu_of $worker_pids)")
}
cpu_report() {
    local c1 cpu
    # shellcheck disable=SC2046,SC2086
    c1=("$(cpu_machine)" "$(cpu_of "$api_pid")" "$(cpu_of "$broker_pid")" "$(cpu_of $(pgrep -u postgres))" "$(cpu_of $worker_pids)")
    cpu=$(python3 -c "
busy, api, broker, pg, workers = [b - a for b, a in zip([${c1[0]}, ${c1[1]}, ${c1[2]}, ${c1[3]}, ${c1[4]}], [${c0[0]}, ${c0[1]}, ${c0[2]}, ${c0[3]}, ${c0[4]}])]
print(f'{busy:.2f}\t{workers:.2f}\t{api:.2f}\t{pg:.2f}\t{broker:.2f}\t{busy - workers - api - pg - broker:.2f}')")
    printf '%s\t%s\t%s\n' "$round" "$1" "$cpu" >> "$results/pipeline-cpu.tsv"
    echo "  $1 CPU s: machine / Workers / Api / PostgreSQL / broker / other: $(tr '\t' '/' <<<"$cpu")"
}
cpu_machine() { awk -v hz="$hz" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

# Uploads the list with 4 clients; latency of each upload (s) in $1.
upload_all() {
    xargs -P 4 -I{} curl -s -o /dev/null -w '%{time_total} %{http_code}\n' -F "file=@{}" "$api/api/v1/images/" < "$tmp/list.txt" > "$1"
    local bad
    bad=$(awk '$2 != 201' "$1" | wc -l)
    [ "$bad" -eq 0 ] || { echo "$bad uploads were not 201:" >&2; awk '$2 != 201' "$1" | sort | uniq -c >&2; exit 1; }
}

# Waits until every image since $1 (epoch s) is completed or failed; prints the last update (epoch s).
wait_done() {
    local since=$1 n
    while :; do
        n=$(sql "SELECT count(*) FROM images WHERE created_at >= to_timestamp($since) AND status IN ('completed','failed')")
        [ "$n" -ge "$total" ] && break
        # Not faster: each psql costs CPU the two busy cores would take from the Workers, and the
        # end time is the last row's updated_at, not when this loop sees it.
        sleep 0.5
    done
    sql "SELECT extract(epoch FROM max(updated_at)) FROM images WHERE created_at >= to_timestamp($since)"
}

# Sum of a Prometheus series over both Workers (every label set).
scrape() {
    local total=0 port v
    for port in 9190 9191; do
        v=$(curl -sf "http://localhost:$port/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.6f", s + 0 }') || v=0
        total=$(echo "$total + $v" | bc -l)
    done
    echo "$total"
}
# Where an image's time went in a phase: mean seconds processing and mean seconds from upload to
# outcome (the difference is the wait in the queue), from the Workers' histograms.
breakdown_start() { b0=("$(scrape image_processing_duration_seconds_sum)" "$(scrape image_time_to_thumbnail_seconds_sum)" "$(scrape image_time_to_thumbnail_seconds_count)"); }
breakdown() {
    local p t n
    p=$(scrape image_processing_duration_seconds_sum); t=$(scrape image_time_to_thumbnail_seconds_sum); n=$(scrape image_time_to_thumbnail_seconds_count)
    python3 -c "n = $n - ${b0[2]}; print(f'{($p - ${b0[0]}) / max(n, 1):.3f}\t{($t - ${b0[1]}) / max(n, 1):.3f}')"
}

percentile() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.0f", a[i] * 1000 }'; }

: > "$results/pipeline.tsv"
: > "$results/pipeline-cpu.tsv"
for round in $(seq "$rounds"); do
    echo "round $round: $total images ($(wc -l < "$tmp/files.txt") files x $copies)"

    # (b) mixed, first right after the Workers' start-up, then warm.
    start_workers
    for port in 9190 9191; do until curl -sf -o /dev/null "http://localhost:$port/health"; do sleep 0.1; done; done
    # shellcheck disable=SC2086
    echo "  Workers' start-up: $(cpu_of $worker_pids) CPU-s for both, until healthy"
    for run in cold warm; do
        breakdown_start
        cpu_mark
        t0=$(now)
        upload_all "$tmp/latency-$run.txt"
        t1=$(wait_done "$t0")
        seconds=$(echo "$t1 - $t0" | bc -l)
        p50=$(cut -d' ' -f1 "$tmp/latency-$run.txt" | percentile 50)
        p99=$(cut -d' ' -f1 "$tmp/latency-$run.txt" | percentile 99)
        split=$(breakdown)
        cpu_report "mixed-$run"
        printf '%s\tmixed-%s\t%.2f\t%s\t%s\t%s\n' "$round" "$run" "$seconds" "$p50" "$p99" "$split" >> "$results/pipeline.tsv"
        echo "  mixed ($run): $(printf '%.1f' "$seconds") s, upload p50 ${p50} ms, p99 ${p99} ms; per image: processing / upload to outcome $(tr '\t' '/' <<<"$split") s"
    done
    rss_workers=$(for pid in $worker_pids; do peak_mib "$pid"; echo -n " "; done)
    stop_workers

    # (a) drain: a backlog uploaded with no Worker running, then 2 Workers started at once.
    t0=$(now)
    upload_all "$tmp/latency-backlog.txt"
    until [ "$(sql "SELECT count(*) FROM processing_outbox WHERE sent_at IS NULL")" = 0 ]; do sleep 0.1; done
    cpu_mark # the Workers are not running yet: they count from their start
    t_start=$(now)
    start_workers
    t1=$(wait_done "$t0")
    seconds=$(echo "$t1 - $t_start" | bc -l)
    cpu_report drain
    b0=(0 0 0)
    split=$(breakdown)
    printf '%s\tdrain\t%.2f\t\t\t%s\n' "$round" "$seconds" "$split" >> "$results/pipeline.tsv"
    echo "  drain: $(printf '%.1f' "$seconds") s from the Workers' start; per image: processing / upload to outcome $(tr '\t' '/' <<<"$split") s"
    rss_workers="$rss_workers$(for pid in $worker_pids; do peak_mib "$pid"; echo -n " "; done)"
    stop_workers

    # (c) 2 vipsthumbnail processes over the same list.
    t0=$(now)
    for part in 0 1; do
        mapfile -t args < "$tmp/list.txt.part$part"
        /usr/bin/time -f '%M' -o "$tmp/vips-rss$part" vipsthumbnail --size 256x256 -o "$tmp/%s.jpg[Q=85]" "${args[@]}" &
    done
    wait
    seconds=$(echo "$(now) - $t0" | bc -l)
    printf '%s\tvipsthumbnail\t%.2f\t\t\t\t\n' "$round" "$seconds" >> "$results/pipeline.tsv"
    echo "  vipsthumbnail x2: $(printf '%.1f' "$seconds") s"

    # (d) the native processor alone, 2 workers.
    line=$(dotnet "$bench_dll" native 2 "$tmp/list.txt")
    printf '%s\tnative-processor\t%s\t\t\t\t\n' "$round" "$(cut -f4 <<<"$line")" >> "$results/pipeline.tsv"
    echo "  native processor x2: $(cut -f4 <<<"$line") s"

    # (e) the same processor doing a Worker's whole processing, 2 workers.
    line_e=$(dotnet "$bench_dll" renditions 2 "$tmp/list.txt")
    printf '%s\trenditions-processor\t%s\t\t\t\t\n' "$round" "$(cut -f4 <<<"$line_e")" >> "$results/pipeline.tsv"
    echo "  processor doing a Worker's work x2: $(cut -f4 <<<"$line_e") s"
done

api_pid=$(cat "$IMAGES_LOCAL_DATA/run/api.pid")
broker_pid=$(cat "$IMAGES_LOCAL_DATA/run/devbroker.pid")
rss="Api $(peak_mib "$api_pid") MiB, development broker $(peak_mib "$broker_pid") MiB, Workers (per process, each start) ${rss_workers% } MiB, vipsthumbnail $(( $(sort -n "$tmp"/vips-rss* | tail -n 1) / 1024 )) MiB, native processor $(( $(cut -f6 <<<"$line") / 1024 )) MiB"
python3 "$bench/pipeline_report.py" "$results/pipeline.tsv" "$results" "$total" "$(wc -l < "$tmp/files.txt")" "$copies" "$rss"
cat "$results/pipeline.md"
