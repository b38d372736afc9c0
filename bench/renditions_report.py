"""Summarises bench/renditions.sh: medians over the files of the total time per configuration and
its ratio to the baseline thumbnail, encode time per format and size, bytes per format and PSNR
against the lossless PNG of the same size (computed with the vips CLI)."""
import math
import os
import re
import statistics
import subprocess
import sys

timing, out, sides, speeds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
features = ""
totals, ratios, encodes, sizes = {}, {}, {}, {}
for line in open(timing):
    if line.startswith("#"):
        features = line[2:].strip()
        continue
    m = re.match(r"(\S+) config=(\S*) total_ms ([\d.]+) ratio_to_baseline ([\d.]+) decode_ms ([\d.]+)(?: avif_speed (\d+))?(.*)", line)
    if not m:
        continue
    config = "JPEG+WebP(+PNG)" if m.group(2) == "no-avif" else f"+ AVIF speed {m.group(6)}"
    totals.setdefault(config, []).append(float(m.group(3)))
    ratios.setdefault(config, []).append(float(m.group(4)))
    for fmt, w, h, ms, size in re.findall(r" (\w+)@(\d+)x(\d+)=([\d.]+)ms/(\d+)B", m.group(7)):
        side = max(int(w), int(h))
        label = f"avif s{m.group(6)}" if fmt == "avif" else fmt
        if fmt != "avif" and config != "JPEG+WebP(+PNG)":
            continue
        encodes.setdefault((label, side), []).append(float(ms))


def psnr(a, b):
    def run(*args):
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    tmp = os.path.join(out, "_")
    run("vips", "extract_band", a, tmp + "a.v", "0", "--n", "3")
    run("vips", "extract_band", b, tmp + "b.v", "0", "--n", "3")
    run("vips", "subtract", tmp + "a.v", tmp + "b.v", tmp + "d.v")
    run("vips", "multiply", tmp + "d.v", tmp + "d.v", tmp + "d2.v")
    mse = float(run("vips", "avg", tmp + "d2.v"))
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


quality = {}
for name in sorted(os.listdir(out)):
    m = re.match(r"(.+)\.(\d+)\.png$", name)
    if not m:
        continue
    base, side = m.group(1), m.group(2)
    reference = os.path.join(out, name)
    candidates = [("jpeg", f"{base}.{side}.jpeg"), ("webp", f"{base}.{side}.webp")] + [(f"avif s{s}", f"{base}.{side}.speed{s}.avif") for s in speeds]
    for label, file in candidates:
        path = os.path.join(out, file)
        if os.path.exists(path):
            quality.setdefault((label, int(side)), []).append((os.path.getsize(path), psnr(path, reference)))

print(f"# Renditions bench\n\n{features}\n")
print("| configuration | median total (ms) | median ratio to the 256 px JPEG thumbnail |\n|---|---|---|")
for config in totals:
    print(f"| {config} | {statistics.median(totals[config]):.1f} | {statistics.median(ratios[config]):.2f}x |")
print("\n| format | size | median encode (ms) | ratio to JPEG | bytes (sum) | median PSNR vs PNG (dB) |\n|---|---|---|---|---|---|")
for (label, side), values in sorted(encodes.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    jpeg = statistics.median(encodes.get(("jpeg", side), [float("nan")]))
    q = quality.get((label, side), [])
    size = sum(b for b, _ in q) if q else 0
    p = statistics.median(v for _, v in q) if q else float("nan")
    print(f"| {label} | {side} | {statistics.median(values):.2f} | {statistics.median(values) / jpeg:.1f}x | {size} | {p:.1f} |")
