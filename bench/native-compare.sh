#!/usr/bin/env bash
# Whether a change to the native library changed any thumbnail: builds Images.Native (Release) at
# a git revision and from the working tree, then compares their JPEG and WebP thumbnails of every
# file byte for byte (bench/native_compare.c). Files default to bench/corpus/images/* (see
# bench/corpus.sh) and the fuzz seeds.
# Usage: bench/native-compare.sh [REVISION=main] [files...]
set -euo pipefail
cd "$(dirname "$0")"
revision=${1:-main}
[ $# -gt 0 ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C .. archive --format=tar "$revision" Images.Native | tar -x -C "$work"
cmake -S "$work/Images.Native" -B "$work/before" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/before" --parallel 2 >/dev/null
cmake -S ../Images.Native -B "$work/after" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/after" --parallel 2 >/dev/null
cc -O2 -o "$work/native_compare" native_compare.c -I ../Images.Native/src -ldl
if [ $# -eq 0 ]; then set -- corpus/images/* ../Images.Native/fuzz/seeds/*; fi
echo "A: $revision ($(readelf -dW "$work/before/libimages_native.so" | grep -c NEEDED) DT_NEEDED); B: working tree ($(readelf -dW "$work/after/libimages_native.so" | grep -c NEEDED) DT_NEEDED)"
"$work/native_compare" "$work/before/libimages_native.so" "$work/after/libimages_native.so" "$@"
