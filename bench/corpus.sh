#!/usr/bin/env bash
# Builds the benchmark corpus from Debian packages (never committed): real photos and artwork as
# JPEG, PNG and WebP from wallpaper packages, unpacked with dpkg -x into bench/corpus/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/debs corpus/unpacked corpus/images
(cd corpus/debs && { apt-get download gnome-backgrounds mate-backgrounds ukui-wallpapers lomiri-wallpapers 2>&1 | grep -v '^W:'; true; })
for deb in corpus/debs/*.deb; do dpkg -x "$deb" corpus/unpacked; done
find corpus/unpacked -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' -o -iname '*.tif' -o -iname '*.tiff' \) \
    -size +20k -print0 | while IFS= read -r -d '' f; do
    cp "$f" "corpus/images/$(basename "$(dirname "$f")")_$(basename "$f")"
done
find corpus/images -type f | sed 's/.*\.//' | sort | uniq -c
du -sh corpus/images
