#!/usr/bin/env python3
"""tributary's Lambda handler beside its peers, in one run, on the same
event: the 10,000-record, 6.2 MB Kinesis event of benches/handler.rs
(benches/data/kinesis_event.py), the same filter (keep purchases and
clicks) and the same bulk encoding (the kept payloads as JSON Lines, in one
write to /dev/null), each from the event's bytes to the answer for Lambda:

  tributary    `cargo bench -p tributary --bench handler`, benchmark
               `kinesis 10k/6MB: tributary` (the bootstrap's handler on the
               bytes the runtime API delivers, with its metric lines);
  naive Rust   the same run, `kinesis 10k/6MB: naive serde_json`: the
               obvious handler (aws_lambda_events' KinesisEvent, each payload
               parsed to a serde_json::Value, the filter on the tree, kept
               payloads serialized again);
  Powertools   BatchProcessor of Powertools for AWS Lambda (Python), as
               benches/peers/powertools_handler.py does it: json.loads of the
               body (as Lambda's Python runtime does), then the handler
               (median of 10 runs, after one to warm up).

The machine's other work slows every figure alike; compare the ratios, and
the figures of one run.

    pip install -r benches/requirements.txt
    python3 benches/handler_vs_peers.py
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENT = os.path.join(ROOT, "target/bench/kinesis-10k.json")

try:
    sys.path.insert(0, os.path.join(ROOT, "benches/peers"))
    import powertools_handler
except ImportError:
    sys.exit("aws-lambda-powertools is missing: pip install -r benches/requirements.txt")

UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1000.0}


def criterion_ms():
    """Runs the handler benchmarks; gives each one's time per event in ms
    (criterion's point estimate)."""
    run = subprocess.run(["cargo", "bench", "-p", "tributary", "--bench", "handler"], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    times = {}
    name = None
    for line in (run.stdout + run.stderr).splitlines():
        if line.startswith("handler/"):
            name = line.split(":", 1)[1].strip() if ": " in line else line
        match = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if match and name:
            times[name] = float(match.group(1)) * UNITS[match.group(2)]
            name = None
    return times


def powertools_ms(body):
    times = []
    for _ in range(11):
        started = time.perf_counter()
        answer = powertools_handler.handler(json.loads(body), None)
        times.append(time.perf_counter() - started)
    assert answer == {"batchItemFailures": []}, answer
    return statistics.median(times[1:]) * 1000, len(powertools_handler.LINES)


def main():
    rust = criterion_ms()  # makes the event on first use
    with open(EVENT, "rb") as f:
        body = f.read()
    records = len(json.loads(body)["Records"])
    python, kept = powertools_ms(body)
    tributary = rust["tributary"]
    rows = [("tributary", tributary), ("naive Rust (aws_lambda_events + serde_json)", rust["naive serde_json"]),
            ("Powertools BatchProcessor (Python)", python)]
    print(f"event: {len(body):,} bytes, {records:,} records, {kept:,} kept")
    print(f"{'handler':<46} {'ms per event':>12} {'MB/s':>8} {'x tributary':>12}")
    for label, ms in rows:
        print(f"{label:<46} {ms:>12.2f} {len(body) / ms / 1000:>8.0f} {ms / tributary:>12.1f}")


if __name__ == "__main__":
    main()
