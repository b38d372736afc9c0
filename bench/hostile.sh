#!/usr/bin/env bash
# For each hostile file of Images.Tests/Api/HostileFileTests.cs (decompression bombs, progressive
# JPEGs of 50,000 scans, multi-page TIFFs, animations, GIF LZW bombs and screens, HEIC and AVIF
# claiming huge sizes, truncated and lying files, oversized bodies):
# its outcome, the seconds from upload to outcome, and the peak RSS of the processing process (a
# real Images.Api process, in-process processing, default settings, peak reset before each file),
# on the native and the managed path; then the time budget stopping a slow decode on each path.
# Release build. Usage: bench/hostile.sh [report file, default bench/results/hostile.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-bench/results/hostile.txt}
mkdir -p "$(dirname "$report")"
: > "$report"
IMG_HOSTILE_REPORT="$(realpath "$report")" dotnet test Images.Tests/Images.Tests.csproj -c Release \
    --filter "FullyQualifiedName~Images.Tests.Api.HostileFileTests" --logger "console;verbosity=minimal"
cat "$report"
