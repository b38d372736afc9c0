#!/usr/bin/env bash
# The native path against vipsthumbnail format by format (issue 14: no format above 1.0, the whole
# corpus at <= 0.55 x), and the library's own PNG image-data reader against libpng's (ADR 17), in
# one sitting, interleaved round by round, 1 worker each, 256 px JPEG q85:
#  - every set (the corpus's JPEG, PNG, WebP and TIFF files, and all of them): one vipsthumbnail
#    process, and Images.Bench's native engine (the service's processor: the native library with
#    the managed fallback);
#  - the PNG files and the whole corpus also through the native library alone, its PNGs read by
#    libpng's row reader (native-libpng), by its own reader streaming through zlib
#    (native-streamed), and by its defaults (native-direct: libdeflate for a whole stream).
# Prints each engine's median seconds, its ratio to vipsthumbnail's median and every round's ratio,
# and its peak RSS. Release build.
# Needs: bench/corpus.sh and bench/thumbnailers.sh once (the file lists in bench/results).
# Usage: ROUNDS=5 bench/formats.sh
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-3}
results=results
[ -f "$results/all.txt" ] || { echo "run bench/thumbnailers.sh once first (it writes $results/all.txt)" >&2; exit 1; }
grep -iE '\.png$' "$results/all.txt" > "$results/png.txt"
grep -iE '\.webp$' "$results/all.txt" > "$results/webp.txt"
dotnet build -c Release Images.Bench >/dev/null
bench_dll=Images.Bench/bin/Release/net10.0/Images.Bench.dll
out=$(mktemp -d)
raw=$(mktemp)
trap 'rm -rf "$out" "$raw"' EXIT

for _ in $(seq "$rounds"); do
    for set in jpeg png webp tiff all; do
        mapfile -t files < "$results/$set.txt"
        start=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$out/rss" vipsthumbnail --size 256x256 -o "$out/%s.jpg[Q=85]" "${files[@]}"
        end=$(date +%s.%N)
        printf '%s\tvipsthumbnail\t%s\t%s\n' "$set" "$(echo "$end - $start" | bc -l)" "$(tail -n 1 "$out/rss")" >> "$raw"
        engines=(native)
        if [ "$set" = png ] || [ "$set" = all ]; then engines+=(native-libpng native-streamed native-direct); fi
        for engine in "${engines[@]}"; do
            line=$(dotnet "$bench_dll" "$engine" 1 "$results/$set.txt")
            printf '%s\t%s\t%s\t%s\n' "$set" "$engine" "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")" >> "$raw"
        done
    done
done

python3 - "$raw" "$rounds" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
print(f"{sys.argv[2]} rounds, 1 worker, median seconds (ratio to vipsthumbnail's median; every round's ratio), peak RSS")
for s in ('jpeg', 'png', 'webp', 'tiff', 'all'):
    vips = [float(r[2]) for r in rows if r[0] == s and r[1] == 'vipsthumbnail']
    base = statistics.median(vips)
    for engine in ('vipsthumbnail', 'native', 'native-libpng', 'native-streamed', 'native-direct'):
        times = [float(r[2]) for r in rows if r[0] == s and r[1] == engine]
        if not times:
            continue
        rss = max(int(r[3]) for r in rows if r[0] == s and r[1] == engine) // 1024
        per_round = ', '.join(f"{t / v:.2f}" for t, v in zip(times, vips))
        print(f"{s:4} {engine:16} {statistics.median(times):6.3f} s  {statistics.median(times) / base:.2f} x  ({per_round})  {rss} MiB")
PY
