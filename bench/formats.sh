#!/usr/bin/env bash
# The native path against vipsthumbnail format by format (issue 14's "no format above 1.0"), in
# one sitting, interleaved round by round, 1 worker each: the corpus's JPEG, PNG, WebP and TIFF
# files, Images.Bench's native engine (the service's processor: the native library with the
# managed fallback) against one vipsthumbnail process on the same list. 256 px JPEG q85.
# Prints the median seconds of each and the ratio. Release build.
# Needs: bench/corpus.sh and bench/thumbnailers.sh once (the file lists in bench/results).
# Usage: ROUNDS=3 bench/formats.sh
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-3}
results=results
bench_dll=Images.Bench/bin/Release/net10.0/Images.Bench.dll
# shellcheck disable=SC1091 # (the lists and the build, shared by formats.sh and png-reader.sh)
. ./format-lists.sh
out=$(mktemp -d)
raw=$(mktemp)
trap 'rm -rf "$out" "$raw"' EXIT

for _ in $(seq "$rounds"); do
    for set in jpeg png webp tiff; do
        mapfile -t files < "$results/$set.txt"
        start=$(date +%s.%N)
        vipsthumbnail --size 256x256 -o "$out/%s.jpg[Q=85]" "${files[@]}"
        end=$(date +%s.%N)
        printf '%s\tvipsthumbnail\t%s\n' "$set" "$(echo "$end - $start" | bc -l)" >> "$raw"
        printf '%s\tnative\t%s\n' "$set" "$(dotnet "$bench_dll" native 1 "$results/$set.txt" | cut -f4)" >> "$raw"
    done
done

python3 - "$raw" "$rounds" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
print(f"{sys.argv[2]} rounds, 1 worker, median seconds; native / vipsthumbnail (median; every round)")
for s in ('jpeg', 'png', 'webp', 'tiff'):
    vips = [float(r[2]) for r in rows if r[0] == s and r[1] == 'vipsthumbnail']
    native = [float(r[2]) for r in rows if r[0] == s and r[1] == 'native']
    rounds = ', '.join(f"{n / v:.2f}" for n, v in zip(native, vips))
    print(f"{s:5} vipsthumbnail {statistics.median(vips):6.3f} s  native {statistics.median(native):6.3f} s  {statistics.median(native) / statistics.median(vips):.2f} x  ({rounds})")
PY
