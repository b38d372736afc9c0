#!/usr/bin/env bash
# The library's own reader of PNG image data (png_idat.c, issue 14) against libpng's row reader, in
# one sitting, interleaved round by round: on the corpus's PNG files and on the whole corpus, with
# 1 worker, the native library alone (Images.Bench native-libpng / native-streamed / native-direct)
# and vipsthumbnail as the baseline. 256 px JPEG q85 thumbnails. Prints the median seconds of each
# and its ratio to vipsthumbnail, and each engine's peak RSS. Release build.
# Needs: bench/corpus.sh and bench/thumbnailers.sh once (the file lists in bench/results).
# Usage: ROUNDS=5 bench/png-reader.sh
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-5}
results=results
bench_dll=Images.Bench/bin/Release/net10.0/Images.Bench.dll
# shellcheck disable=SC1091 # (the lists and the build, shared by formats.sh and png-reader.sh)
. ./format-lists.sh
out=$(mktemp -d)
raw=$(mktemp)
trap 'rm -rf "$out" "$raw"' EXIT

for _ in $(seq "$rounds"); do
    for set in png all; do
        mapfile -t files < "$results/$set.txt"
        start=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$out/rss" vipsthumbnail --size 256x256 -o "$out/%s.jpg[Q=85]" "${files[@]}"
        end=$(date +%s.%N)
        printf '%s\tvipsthumbnail\t%s\t%s\n' "$set" "$(echo "$end - $start" | bc -l)" "$(tail -n 1 "$out/rss")" >> "$raw"
        for engine in native-libpng native-streamed native-direct; do
            line=$(dotnet "$bench_dll" "$engine" 1 "$results/$set.txt")
            printf '%s\t%s\t%s\t%s\n' "$set" "$engine" "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")" >> "$raw"
        done
    done
done

python3 - "$raw" "$rounds" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
print(f"{sys.argv[2]} rounds, 1 worker, median seconds (ratio to vipsthumbnail's median; every round's ratio), peak RSS")
for s in ('png', 'all'):
    base = statistics.median(float(r[2]) for r in rows if r[0] == s and r[1] == 'vipsthumbnail')
    vips = [float(r[2]) for r in rows if r[0] == s and r[1] == 'vipsthumbnail']
    for engine in ('vipsthumbnail', 'native-libpng', 'native-streamed', 'native-direct'):
        times = [float(r[2]) for r in rows if r[0] == s and r[1] == engine]
        rss = max(int(r[3]) for r in rows if r[0] == s and r[1] == engine) // 1024
        per_round = ', '.join(f"{t / v:.2f}" for t, v in zip(times, vips))
        print(f"{s:4} {engine:16} {statistics.median(times):6.3f} s  {statistics.median(times) / base:.2f} x  ({per_round})  {rss} MiB")
PY
