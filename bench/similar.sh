#!/usr/bin/env bash
# FR-9.2 benchmark: the similar-images query at 1,000,000 hashes on a throw-away PostgreSQL 15
# cluster (this machine's binaries), in Release. Usage: bench/similar.sh [rows] [planner settings...]
# Prints the index sizes and p50/p95 latency at distances 4, 8, 12 and 16 (bench/README.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rows="${1:-1000000}"
shift || true
bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)"
dir="$(mktemp -d /tmp/images-similar-bench-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; as_pg=(runuser -u postgres --); fi
cleanup() { "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U images --auth=trust -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB -c maintenance_work_mem=256MB" start >/dev/null
"${as_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U images images
dotnet build -c Release "$here/Images.SimilarBench" -v q -nologo >/dev/null
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), PostgreSQL $("$bin/postgres" --version | awk '{print $3}')"
dotnet "$here/Images.SimilarBench/bin/Release/net10.0/Images.SimilarBench.dll" \
  "Host=127.0.0.1;Port=$port;Username=images;Database=images;Pooling=false" "$rows" "$@"
