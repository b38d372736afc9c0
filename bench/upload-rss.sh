#!/usr/bin/env bash
# Peak resident memory of the Api while N uploads of SIZE_MB run at once (FR-1.2, NFR-3).
# Baseline: the same process's peak RSS just before the uploads. Needs a running Api started by
# ./run.sh with IMG_MAX_UPLOAD_BYTES large enough and raised upload rate limits.
# Usage: API=http://localhost:8000 N=20 SIZE_MB=20 bench/upload-rss.sh
set -euo pipefail
api=${API:-http://localhost:8000}
n=${N:-20}
size=${SIZE_MB:-20}
pid=$(pgrep -f 'bin/.*Images.Api' | head -n 1)
file=$(mktemp)
# A JPEG signature followed by random bytes: the upload path (sniff, hash, stream to disk) is
# exactly that of a real photo; processing later marks it failed without decoding pixels.
{ printf '\xff\xd8\xff\xe0'; head -c $(( size * 1024 * 1024 - 4 )) /dev/urandom; } > "$file"
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "Api pid $pid: RSS $(( $(rss) / 1024 )) MiB, peak so far $(( $(hwm) / 1024 )) MiB before the uploads"
base=$(hwm)
start=$(date +%s.%N)
codes=$(seq "$n" | xargs -P "$n" -I{} curl -s -o /dev/null -w '%{http_code}\n' -F "file=@$file;type=image/jpeg" "$api/api/v1/images/" | sort | uniq -c | tr '\n' ' ')
end=$(date +%s.%N)
peak=$(hwm)
rm -f "$file"
echo "status codes: $codes"
python3 -c "
print(f'$n uploads x $size MB at once in {$end - $start:.1f} s')
print(f'peak RSS {$peak/1024:.0f} MiB (before: {$base/1024:.0f} MiB, growth {($peak-$base)/1024:.0f} MiB)')
print(f'bytes uploaded {$n*$size} MB; peak RSS growth / bytes in flight = {($peak-$base)/1024/($n*$size):.3f}')
"
