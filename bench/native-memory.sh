#!/usr/bin/env bash
# The native library's memory estimate (images_native_plan's info.memory) against the heap peak it
# really reaches (every malloc of the process counted by bench/native_memory.c's interposed
# allocator), with the time of each 256 px JPEG thumbnail. Builds the library (Release) and the
# tool in a temporary folder.
# Usage: bench/native-memory.sh [tool options: -m MiB -d side -p pixels -s max_side -f flags] [files...]
#        (files default to bench/corpus/images/*; see bench/corpus.sh)
set -euo pipefail
cd "$(dirname "$0")"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cmake -S ../Images.Native -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null
cc -O2 -o "$build/native_memory" native_memory.c -I ../Images.Native/src -L "$build" -limages_native -ldl
options=()
while [ $# -gt 1 ] && [[ "$1" == -? ]]; do options+=("$1" "$2"); shift 2; done
if [ $# -eq 0 ]; then set -- corpus/images/*; fi
LD_LIBRARY_PATH="$build" "$build/native_memory" "${options[@]}" "$@" | column -t -s $'\t'
