#!/usr/bin/env bash
# Builds the libFuzzer harness with clang (ASan + UBSan) and fuzzes the thumbnailer for a bounded
# time. Usage: Images.Native/fuzz/run.sh [seconds=60]. CI runs it for a minute through
# Images.Tests/Native/NativeFuzzTests.cs; this is for longer runs by hand.
# Needs clang and its sanitizer runtimes: apt-get install clang libclang-rt-14-dev.
# Seeds: the committed corpus in fuzz/seeds (fuzz/make_seeds.py writes it: progressive JPEGs of
# every chroma sampling with restart markers, PNG variants, interlaced PNG, APNG, WebP with alpha,
# animated WebP, TIFF...), plus small versions of bench/corpus/images when it exists
# (bench/corpus.sh; made with Debian's vips when installed, else its files under 300 KB). The
# harness runs under a budget per decode that each input chooses (1 or 256 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=$(mktemp -d)
corpus="$build/corpus"
mkdir -p "$corpus"
cmake -S . -B "$build" -DIMAGES_NATIVE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" --target images_native_fuzz >/dev/null

cp fuzz/seeds/* "$corpus/"
if [ -d ../bench/corpus/images ]; then
    # Small seeds run fast under the sanitizers: 600 px versions of a few real images, as
    # baseline and progressive JPEG (which reaches the DC-scans-only path at 1/8), PNG and WebP.
    if command -v vips >/dev/null; then
        find ../bench/corpus/images -type f | sort | awk 'NR % 6 == 1' | head -n 10 | while read -r f; do
            name=$(basename "${f%.*}")
            vips thumbnail "$f" "$corpus/$name.base.jpg[Q=70]" 600 >/dev/null 2>&1 || true
            vips thumbnail "$f" "$corpus/$name.prog.jpg[Q=70,interlace]" 600 >/dev/null 2>&1 || true
            vips thumbnail "$f" "$corpus/$name.png" 600 >/dev/null 2>&1 || true
            vips thumbnail "$f" "$corpus/$name.webp[Q=70]" 600 >/dev/null 2>&1 || true
            # Progressive files the DC-scan decoder takes (4:4:4, 4:2:2, grey), with restart markers.
            vips thumbnail "$f" "$corpus/$name.prog444.jpg[Q=70,interlace,subsample-mode=off]" 600 >/dev/null 2>&1 || true
            if command -v cjpeg >/dev/null && vips thumbnail "$f" "$corpus/$name.ppm" 600 >/dev/null 2>&1; then
                cjpeg -quality 70 -sample 2x1 -progressive -restart 3B -outfile "$corpus/$name.prog422.jpg" "$corpus/$name.ppm" || true
                cjpeg -quality 70 -grayscale -progressive -restart 1 -outfile "$corpus/$name.proggrey.jpg" "$corpus/$name.ppm" || true
                rm -f "$corpus/$name.ppm"
            fi
        done
    else
        find ../bench/corpus/images -type f -size -300k -exec cp {} "$corpus/" \;
    fi
fi

"$build/images_native_fuzz" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$corpus"
echo "fuzzed for ${seconds}s without a crash; build in $build"
