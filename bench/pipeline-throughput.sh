#!/usr/bin/env bash
# End-to-end rate of the in-process pipeline: uploads every corpus image COPIES times through the
# HTTP API of a running Api (./run.sh with raised rate limits) and waits until all are completed
# or failed. Prints thumbnails per second, measured from the first upload to the last completion.
# Usage: API=http://localhost:8000 COPIES=3 bench/pipeline-throughput.sh
set -euo pipefail
cd "$(dirname "$0")"
api=${API:-http://localhost:8000}
copies=${COPIES:-3}
files=(corpus/images/*)
total=$(( ${#files[@]} * copies ))
before=$(curl -sf "$api/api/v1/images/?limit=1&status=completed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
before_failed=$(curl -sf "$api/api/v1/images/?limit=1&status=failed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
start=$(date +%s.%N)
for _ in $(seq "$copies"); do
    for f in "${files[@]}"; do
        echo "$f"
    done
done | xargs -P 4 -I{} curl -sf -o /dev/null -F "file=@{}" "$api/api/v1/images/"
uploaded=$(date +%s.%N)
while :; do
    done_now=$(curl -sf "$api/api/v1/images/?limit=1&status=completed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    failed_now=$(curl -sf "$api/api/v1/images/?limit=1&status=failed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    if [ $(( done_now - before + failed_now - before_failed )) -ge "$total" ]; then break; fi
    sleep 0.2
done
end=$(date +%s.%N)
python3 -c "
s, u, e = $start, $uploaded, $end
print(f'images: $total ({len(\"${files[*]}\".split())} files x $copies), failed: {$failed_now - $before_failed}')
print(f'uploads took {u - s:.1f} s; all processed after {e - s:.1f} s')
print(f'thumbnails per second (end to end): {$total / (e - s):.2f}')
"
