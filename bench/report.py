"""Turns bench/thumbnailers.sh's raw timings into a Markdown table and a PNG bar chart."""
import statistics
import sys
from collections import defaultdict

raw, out_dir, n_all, mp_all, n_jpeg, mp_jpeg, n_tiff, mp_tiff = sys.argv[1:9]
sizes = {"all": (int(n_all), float(mp_all)), "jpeg": (int(n_jpeg), float(mp_jpeg)), "tiff": (int(n_tiff), float(mp_tiff))}
runs = defaultdict(list)
peaks = defaultdict(int)
for line in open(raw):
    _round, engine, workers, seconds, peak, subset = line.rstrip("\n").split("\t")
    key = (subset, int(workers), engine)
    runs[key].append(float(seconds))
    peaks[key] = max(peaks[key], int(peak))

rows = []
for (subset, workers, engine), times in sorted(runs.items()):
    median = statistics.median(times)
    reference = statistics.median(runs[(subset, workers, "vipsthumbnail")]) if (subset, workers, "vipsthumbnail") in runs else None
    count, megapixels = sizes[subset]
    rows.append((subset, workers, engine, count / median, 1000 * median / megapixels,
                 median / reference if reference else float("nan"), peaks[(subset, workers, engine)] / 1024, len(times)))

with open(f"{out_dir}/thumbnailers.md", "w") as md:
    md.write(f"Corpus: {n_all} files, {float(mp_all):.0f} MP ({n_jpeg} JPEG files, {float(mp_jpeg):.0f} MP; "
             f"{n_tiff} TIFF files, {float(mp_tiff):.0f} MP); "
             "256 px JPEG q85 thumbnails (the service's default quality); median of the rounds; ratio = time / vipsthumbnail's time (lower is faster).\n\n")
    md.write("| files | workers | engine | images/s | ms per MP | ratio to vipsthumbnail | peak RSS (MiB) | rounds |\n")
    md.write("|---|---|---|---|---|---|---|---|\n")
    for subset, workers, engine, rate, ms_mp, ratio, rss, n in rows:
        md.write(f"| {subset} | {workers} | {engine} | {rate:.2f} | {ms_mp:.1f} | {ratio:.2f} | {rss:.0f} | {n} |\n")
    native = statistics.median(runs[("jpeg", 1, "native")]) if ("jpeg", 1, "native") in runs else None
    baseline = statistics.median(runs[("jpeg", 1, "libjpeg-turbo baseline")]) if ("jpeg", 1, "libjpeg-turbo baseline") in runs else None
    if native and baseline:
        md.write(f"\nJPEG files, 1 worker: native / bare libjpeg-turbo baseline = {native / baseline:.2f}\n")
print(open(f"{out_dir}/thumbnailers.md").read())

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels = [f"{e}\n{s}, {w}w" for s, w, e, *_ in rows]
    ax.bar(range(len(rows)), [r[5] for r in rows], color=["#4c72b0" if r[2] == "native" else "#999999" for r in rows])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("time relative to vipsthumbnail (lower is faster)")
    ax.set_title("256 px thumbnails, same corpus, same sitting")
    fig.tight_layout()
    fig.savefig(f"{out_dir}/thumbnailers.png", dpi=120)
except ImportError:
    print("python3-matplotlib is not installed: no chart")
