#!/usr/bin/env bash
# Thumbnailers compared in one sitting, interleaved: the Images.Native path (as the service runs
# it: native for JPEG, PNG, WebP and TIFF, ImageSharp for what the library leaves aside), the
# ImageSharp path, vipsthumbnail (Debian libvips-tools) and NetVips (libvips 8.18), with 1 and 2
# workers, plus the bare libjpeg-turbo baseline on the JPEG files and the TIFF files alone (native,
# ImageSharp, vipsthumbnail; 1 worker). 256 px JPEG q85 thumbnails (the service's
# IMG_THUMBNAIL_QUALITY default). Writes bench/results/thumbnailers.md and thumbnailers.png.
# Needs: bench/corpus.sh first; apt-get install libvips-tools time python3-matplotlib.
# Usage: ROUNDS=3 bench/thumbnailers.sh        SETS="tiff" ROUNDS=3 bench/thumbnailers.sh (some sets only: all jpeg tiff)
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-3}
sets=" ${SETS:-all jpeg tiff} "
results=results
mkdir -p "$results" corpus/tiff
raw="$results/thumbnailers.tsv"
: > "$raw"

# TIFF files for the corpus, written with Debian's vips: four PNGs (RGBA) as LZW strips, and four
# JPEG photos in the other layouts writers use: JPEG-compressed 256 px tiles, Deflate strips with
# the horizontal predictor, uncompressed strips, LZW tiles.
find corpus/images -maxdepth 1 -name '*.png' -size +500k | sort | head -n 4 | while read -r png; do
    tif="corpus/tiff/$(basename "${png%.png}").tif"
    [ -f "$tif" ] || vips copy "$png" "${tif}[compression=lzw]" >/dev/null 2>&1 || true
done
layouts=("jpeg-tiles:compression=jpeg,Q=90,tile,tile-width=256,tile-height=256" "deflate:compression=deflate,predictor=horizontal"
         "none:compression=none" "lzw-tiles:compression=lzw,tile")
n=0
find corpus/images -maxdepth 1 -name '*.jpg' | sort | awk 'NR % 5 == 2' | head -n 4 | while read -r jpg; do
    layout=${layouts[$n]}
    n=$((n + 1))
    tif="corpus/tiff/$(basename "${jpg%.jpg}").${layout%%:*}.tif"
    [ -f "$tif" ] || vips copy "$jpg" "${tif}[${layout#*:}]" >/dev/null 2>&1 || true
done

find corpus/images corpus/tiff -type f | sort > "$results/all.txt"
grep -iE '\.jpe?g$' "$results/all.txt" > "$results/jpeg.txt"
grep -iE '\.tiff?$' "$results/all.txt" > "$results/tiff.txt"
split_lists() { # $1 list, $2 parts: writes $1.part0 .. part(n-1)
    awk -v n="$2" -v base="$1" '{ print > (base ".part" (NR - 1) % n) }' "$1"
}
split_lists "$results/all.txt" 2
split_lists "$results/jpeg.txt" 2

dotnet build -c Release Images.Bench >/dev/null
bench_dll=Images.Bench/bin/Release/net10.0/Images.Bench.dll
cc -O2 -o "$results/jpeg_baseline" jpeg_baseline.c -ljpeg
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Runs a command list in $2 parallel processes over list $3; prints "seconds peak_rss_kb".
run_processes() {
    local kind=$1 workers=$2 list=$3 start end peak=0 pids=() files
    start=$(date +%s.%N)
    for ((i = 0; i < workers; i++)); do
        if [ "$workers" -eq 1 ]; then files="$list"; else files="$list.part$i"; fi
        case "$kind" in
            vips) mapfile -t args < "$files"
                  /usr/bin/time -f '%M' -o "$out/rss$i" vipsthumbnail --size 256x256 -o "$out/%s.jpg[Q=85]" "${args[@]}" & ;;
            baseline) mapfile -t args < "$files"
                  /usr/bin/time -f '%M' -o "$out/rss$i" "$results/jpeg_baseline" "${args[@]}" & ;;
        esac
        pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s.%N)
    for ((i = 0; i < workers; i++)); do
        r=$(tail -n 1 "$out/rss$i"); [ "$r" -gt "$peak" ] && peak=$r
    done
    echo "$(echo "$end - $start" | bc -l) $peak"
}

mp_all=$(dotnet "$bench_dll" megapixels "$results/all.txt")
mp_jpeg=$(dotnet "$bench_dll" megapixels "$results/jpeg.txt")
mp_tiff=$(dotnet "$bench_dll" megapixels "$results/tiff.txt")
for round in $(seq "$rounds"); do
    for workers in 1 2; do
        [[ "$sets" == *" all "* ]] || continue
        for engine in vipsthumbnail native imagesharp netvips; do
            if [ "$engine" = vipsthumbnail ]; then
                read -r seconds peak < <(run_processes vips "$workers" "$results/all.txt")
                printf '%s\t%s\t%s\t%s\t%s\tall\n' "$round" "$engine" "$workers" "$seconds" "$peak" >> "$raw"
            else
                line=$(dotnet "$bench_dll" "$engine" "$workers" "$results/all.txt")
                printf '%s\t%s\t%s\t%s\t%s\tall\n' "$round" "$engine" "$workers" "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")" >> "$raw"
            fi
        done
    done
    # TIFF only, 1 worker: the native path (libtiff) against vipsthumbnail and ImageSharp.
    if [[ "$sets" == *" tiff "* ]]; then
        read -r seconds peak < <(run_processes vips 1 "$results/tiff.txt")
        printf '%s\t%s\t%s\t%s\t%s\ttiff\n' "$round" vipsthumbnail 1 "$seconds" "$peak" >> "$raw"
        for engine in native imagesharp; do
            line=$(dotnet "$bench_dll" "$engine" 1 "$results/tiff.txt")
            printf '%s\t%s\t%s\t%s\t%s\ttiff\n' "$round" "$engine" 1 "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")" >> "$raw"
        done
    fi
    [[ "$sets" == *" jpeg "* ]] || continue
    # JPEG only, 1 worker: the bare libjpeg-turbo program against the native path and vipsthumbnail.
    read -r seconds peak < <(run_processes baseline 1 "$results/jpeg.txt")
    printf '%s\t%s\t%s\t%s\t%s\tjpeg\n' "$round" "libjpeg-turbo baseline" 1 "$seconds" "$peak" >> "$raw"
    line=$(dotnet "$bench_dll" native 1 "$results/jpeg.txt")
    printf '%s\t%s\t%s\t%s\t%s\tjpeg\n' "$round" native 1 "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")" >> "$raw"
    read -r seconds peak < <(run_processes vips 1 "$results/jpeg.txt")
    printf '%s\t%s\t%s\t%s\t%s\tjpeg\n' "$round" vipsthumbnail 1 "$seconds" "$peak" >> "$raw"
done

/usr/bin/python3 report.py "$raw" "$results" "$(wc -l < "$results/all.txt")" "$mp_all" "$(wc -l < "$results/jpeg.txt")" "$mp_jpeg" \
    "$(wc -l < "$results/tiff.txt")" "$mp_tiff"
