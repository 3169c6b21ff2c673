#!/usr/bin/env python3
"""Prints the filter benchmark's table: events/s for tributary and quamina per
row, and their ratio, from criterion's results (run `cargo bench --bench filter` first)."""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
rows = []
for group in sorted(root.glob("filter_*")):
    name = group.name.removeprefix("filter_").replace("_", "/")
    rates = {}
    for who in ("tributary", "quamina"):
        estimates = group / who / "new" / "estimates.json"
        benchmark = group / who / "new" / "benchmark.json"
        if not estimates.exists():
            break
        mean_ns = json.loads(estimates.read_text())["mean"]["point_estimate"]
        events = json.loads(benchmark.read_text())["throughput"]["Elements"]
        rates[who] = events / (mean_ns / 1e9)
    if len(rates) == 2:
        rows.append((name, rates["tributary"], rates["quamina"]))
if not rows:
    sys.exit("no results: run `cargo bench --bench filter` first")
print("| data set / operator / patterns | tributary events/s | quamina events/s | ratio |")
print("|---|---:|---:|---:|")
for name, ours, theirs in rows:
    print(f"| {name} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x |")
