"""Turns bench/pipeline.sh's timings into bench/results/pipeline.md and pipeline.svg."""
import statistics
import sys
from collections import defaultdict

raw, out_dir, total, files, copies, rss = sys.argv[1:7]
total = int(total)
seconds = defaultdict(list)
latency = defaultdict(list)
split = defaultdict(list)
for line in open(raw):
    _round, kind, secs, p50, p99, processing, since_upload = line.rstrip("\n").split("\t")
    seconds[kind].append(float(secs))
    if p50:
        latency[kind].append((int(p50), int(p99)))
    if processing:
        split[kind].append((float(processing), float(since_upload)))

med = {kind: statistics.median(v) for kind, v in seconds.items()}
vips = med["vipsthumbnail"]
rows = [
    ("(a) drain of a backlog by 2 Workers (from their start)", "drain", med["drain"] / vips, "time / vipsthumbnail's", "<= 1.0"),
    ("(b) uploads and processing together, 4 clients, warm", "mixed-warm", vips / med["mixed-warm"], "rate / vipsthumbnail's", ">= 0.85"),
    ("(b) the same, first batch after start-up (cold)", "mixed-cold", vips / med["mixed-cold"], "rate / vipsthumbnail's", ""),
    ("(c) 2 vipsthumbnail processes (baseline)", "vipsthumbnail", 1.0, "", ""),
    ("(d) the native processor alone, 2 workers", "native-processor", med["native-processor"] / vips, "time / vipsthumbnail's", ""),
]
if "renditions-processor" in med:
    rows.append(("(e) the processor doing a Worker's whole processing (default renditions, EXIF, insight), 2 workers",
                 "renditions-processor", med["renditions-processor"] / vips, "time / vipsthumbnail's", ""))
with open(f"{out_dir}/pipeline.md", "w") as md:
    md.write(f"{total} images ({files} files x {copies}), 256 px JPEG q85, Release builds, Kafka (development broker), "
             f"2 Worker processes at default settings, 2 cores; median of {len(seconds['drain'])} round(s).\n\n")
    md.write("| phase | seconds | images/s | ratio | goal |\n|---|---|---|---|---|\n")
    for name, kind, ratio, what, goal in rows:
        md.write(f"| {name} | {med[kind]:.2f} | {total / med[kind]:.2f} | {ratio:.2f} {what} | {goal} |\n")
    md.write(f"\nFirst batch after start-up against a warm one: {med['mixed-cold'] / med['mixed-warm']:.2f} x the time (goal <= 1.5).\n")
    for kind in ("mixed-cold", "mixed-warm"):
        p50 = statistics.median(p for p, _ in latency[kind])
        p99 = statistics.median(p for _, p in latency[kind])
        md.write(f"Upload latency ({kind}): p50 {p50:.0f} ms, p99 {p99:.0f} ms.\n")
    md.write("\nWhere an image's time went (means over the phase, from the Workers' histograms): ")
    md.write("; ".join(f"{kind}: {statistics.median(p for p, _ in v):.2f} s processing of {statistics.median(t for _, t in v):.2f} s from upload to outcome"
                       for kind, v in sorted(split.items())) + ".\n")
    md.write(f"\nPeak RSS: {rss}.\n")
    import os
    cpu_file = f"{out_dir}/pipeline-cpu.tsv"
    if os.path.exists(cpu_file) and os.path.getsize(cpu_file) > 0:
        by_phase = defaultdict(list)
        for line in open(cpu_file):
            fields = line.rstrip("\n").split("\t")
            by_phase[fields[1]].append([float(x) for x in fields[2:]])
        md.write("\nCPU seconds used in each phase (median), by process; 'other' is the rest of the machine "
                 "(the 4 upload clients, the script's psql polling):\n\n"
                 "| phase | wall s | machine busy | of 2 cores | Workers | Api | PostgreSQL | broker | other |\n|---|---|---|---|---|---|---|---|---|\n")
        for phase in ("drain", "mixed-cold", "mixed-warm"):
            if phase not in by_phase:
                continue
            busy, workers, api, pg, broker, other = (statistics.median(c) for c in zip(*by_phase[phase]))
            md.write(f"| {phase} | {med[phase]:.2f} | {busy:.1f} | {busy / (2 * med[phase]) * 100:.0f}% | {workers:.1f} ({workers / total * 1000:.0f} ms an image) "
                     f"| {api:.1f} | {pg:.1f} | {broker:.1f} | {other:.1f} |\n")
        if "renditions-processor" in med:
            alone = 2 * med["renditions-processor"]
            md.write(f"\nThe processor alone used at most {alone:.1f} CPU-s ({alone / total * 1000:.0f} ms an image) for the Workers' work (e).\n")

# A horizontal bar chart of the seconds, vipsthumbnail's marked.
width, bar, left = 640, 28, 250
height = 40 + len(rows) * (bar + 12)
scale = (width - left - 60) / max(med[k] for _, k, *_ in rows)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-weight="bold">{total} images through the pipeline, seconds (lower is faster)</text>']
for i, (name, kind, *_rest) in enumerate(rows):
    y = 35 + i * (bar + 12)
    colour = "#888" if kind == "vipsthumbnail" else "#2a6fb0"
    label = {"drain": "(a) drain, 2 Workers", "mixed-warm": "(b) mixed, warm", "mixed-cold": "(b) mixed, cold",
             "vipsthumbnail": "(c) vipsthumbnail x2", "native-processor": "(d) native processor x2",
             "renditions-processor": "(e) Worker's work, processor x2"}[kind]
    svg.append(f'<text x="10" y="{y + bar * 0.65:.0f}">{label}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{med[kind] * scale:.1f}" height="{bar}" fill="{colour}"/>')
    svg.append(f'<text x="{left + med[kind] * scale + 5:.1f}" y="{y + bar * 0.65:.0f}">{med[kind]:.1f} s</text>')
x = left + vips * scale
svg.append(f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{height - 5}" stroke="#c00" stroke-dasharray="4,3"/>')
svg.append("</svg>")
with open(f"{out_dir}/pipeline.svg", "w") as f:
    f.write("\n".join(svg) + "\n")
