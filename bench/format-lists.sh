# Sourced by bench/formats.sh and bench/png-reader.sh (from bench/): the corpus's file lists per
# format, from the one bench/thumbnailers.sh writes (results/all.txt, jpeg.txt, tiff.txt), then
# Images.Bench built in Release.
# shellcheck shell=bash
[ -f results/all.txt ] || { echo "run bench/thumbnailers.sh once first (it writes bench/results/all.txt)" >&2; exit 1; }
grep -iE '\.png$' results/all.txt > results/png.txt
grep -iE '\.webp$' results/all.txt > results/webp.txt
dotnet build -c Release Images.Bench >/dev/null
