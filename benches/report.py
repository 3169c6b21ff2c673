#!/usr/bin/env python3
"""Prints the filter benchmark's table: events/s for tributary and quamina per
row, and their ratio, from criterion's results.

    cargo bench -p tributary --bench filter && python3 benches/report.py

With several result folders (copies of target/criterion from repeated runs),
each figure is the median over the runs, so that one noisy run decides nothing:

    python3 benches/report.py run1 run2 run3
"""
import json
import pathlib
import statistics
import sys

default = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
folders = [pathlib.Path(p) for p in sys.argv[1:]] or [default]


def rates(folder):
    found = {}
    for group in sorted(folder.glob("filter_*")):
        name = group.name.removeprefix("filter_").replace("_", "/")
        for who in ("tributary", "quamina"):
            estimates = group / who / "new" / "estimates.json"
            if estimates.exists():
                mean_ns = json.loads(estimates.read_text())["mean"]["point_estimate"]
                events = json.loads((group / who / "new" / "benchmark.json").read_text())["throughput"]["Elements"]
                found[(name, who)] = events / (mean_ns / 1e9)
    return found


runs = [rates(folder) for folder in folders]
names = sorted({name for run in runs for (name, _) in run})
if not names:
    sys.exit("no results: run `cargo bench -p tributary --bench filter` first")
print("| data set / operator / patterns | tributary events/s | quamina events/s | ratio |")
print("|---|---:|---:|---:|")
for name in names:
    ours = [run[(name, "tributary")] for run in runs if (name, "tributary") in run]
    theirs = [run[(name, "quamina")] for run in runs if (name, "quamina") in run]
    if not theirs:
        print(f"| {name} | {statistics.median(ours):,.0f} | panics | |")
        continue
    ratios = [o / t for o, t in zip(ours, theirs)]
    print(f"| {name} | {statistics.median(ours):,.0f} | {statistics.median(theirs):,.0f} | {statistics.median(ratios):.2f}x |")
