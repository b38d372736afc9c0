#!/usr/bin/env bash
# Renditions (ADR 12), one sitting, Release build of the native library:
#  - time to make every rendition of one image against today's single 256 px JPEG thumbnail
#    (the baseline, measured in the same process, same file, interleaved);
#  - AVIF at each speed against the JPEG and WebP encoders, per rendition size;
#  - bytes per format and PSNR against the lossless PNG of the same size (the same reduced pixels).
# Usage: ROUNDS=5 SIDES=256,1024 SPEEDS=6,8,10 bench/renditions.sh [files...]
# Files default to bench/corpus/images/* (bench/corpus.sh). Needs cmake, cc, vips (libvips-tools).
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-5}
sides=${SIDES:-256,1024}
speeds=${SPEEDS:-6,8,10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake -S ../Images.Native -B "$work/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" --parallel 2 >/dev/null
cc -O2 -o "$work/renditions" renditions.c -I ../Images.Native/src -L "$work/build" -limages_native -Wl,-rpath,"$work/build"
if [ $# -eq 0 ]; then set -- corpus/images/*; fi
mkdir -p results "$work/out"
echo "timing: $rounds rounds, sides $sides, AVIF speeds $speeds, $# files" >&2
"$work/renditions" "$rounds" "$sides" "$speeds" "$@" > "$work/timing.txt"
echo "quality: one round with every output written" >&2
OUT="$work/out" "$work/renditions" 1 "$sides" "$speeds" "$@" > /dev/null
python3 renditions_report.py "$work/timing.txt" "$work/out" "$sides" "$speeds" | tee results/renditions.md
