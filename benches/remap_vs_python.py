#!/usr/bin/env python3
"""tributary's remap against a plain Python handler, on the same CloudWatch
Logs events, in one run on this machine.

The events: a recording of 4,000 Kinesis records (76,254 log events) that
examples/cloudwatch-logs/generate.py makes in target/bench/cloudwatch-logs/,
and a Lambda event of its first 1,000 records; benches/remap.rs measures on
the same files. The work: examples/cloudwatch-logs/parse.vrl, and its plain
Python version, benches/peers/python_logs_handler.py.

1. Checks that both give the same documents: the recording replayed through
   benches/data/remap-pipeline.toml (`tributary replay`, release), against
   the Python handler's documents, compared as JSON, one by one.
2. Runs `cargo bench -p tributary --bench remap` and reads criterion's
   medians.
3. Times the Python side (median of 5 runs of each):
   - per log event, as the remap processor works: a log event's JSON text
     (as tributary's `cloudwatch-logs` codec writes it) to its document's
     JSON text, or dropped;
   - the whole handler on the Lambda event: json.loads of the body, then
     base64, gzip, each message's events parsed, JSON Lines to /dev/null.

    python3 benches/remap_vs_python.py [--no-bench]

`--no-bench` reads the criterion results already there instead of running
the benchmark again.
"""
import base64
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
FOLDER = os.path.join(ROOT, "target/bench/cloudwatch-logs")
RECORDS, EVENT_RECORDS = 4000, 1000
RECORDING = os.path.join(FOLDER, f"recording-{RECORDS}.jsonl")
EVENT = os.path.join(FOLDER, "event.json")
PIPELINE = os.path.join(ROOT, "benches/data/remap-pipeline.toml")

sys.path.insert(0, os.path.join(ROOT, "benches/peers"))
import python_logs_handler as peer  # noqa: E402


def generate():
    """The recording and event, as benches/remap.rs makes them."""
    if not os.path.exists(RECORDING):
        os.makedirs(FOLDER, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "examples/cloudwatch-logs/generate.py"),
                        "--records", str(RECORDS), "--event-records", str(EVENT_RECORDS),
                        "--out", RECORDING], check=True)


def log_event_texts():
    """Every log event of the recording as the codec's payload: its JSON
    text, message fields added, keys in the codec's order."""
    texts = []
    with open(RECORDING) as lines:
        next(lines)  # the header
        for line in lines:
            for event in peer.log_events(json.loads(line)["data_base64"]):
                texts.append(json.dumps(event, separators=(",", ":")))
    return texts


def check_documents(texts):
    """Both sides index the same documents and drop the same events."""
    documents_file = os.path.join(FOLDER, "documents.jsonl")
    if os.path.exists(documents_file):
        os.remove(documents_file)
    subprocess.run(["cargo", "run", "--release", "--quiet", "-p", "tributary-cli", "--", "replay",
                    PIPELINE, "--recording", RECORDING, "--no-progress"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, REMAP_DOCUMENTS=documents_file))
    with open(documents_file) as f:
        ours = [json.loads(line) for line in f]
    theirs = [json.loads(d) for d in map(peer.parse_event, texts) if d is not None]
    key = lambda document: document["event_id"]
    ours.sort(key=key)
    theirs.sort(key=key)
    if ours != theirs:
        different = next(pair for pair in zip(ours, theirs) if pair[0] != pair[1]) if len(ours) == len(theirs) else None
        sys.exit(f"the documents differ: tributary {len(ours)}, Python {len(theirs)}; first difference: {different}")
    return len(ours), len(texts) - len(ours)


def criterion(name):
    """(median seconds an iteration, log events an iteration) of remap/NAME."""
    folder = os.path.join(TARGET, "criterion", "remap", name, "new")
    with open(os.path.join(folder, "estimates.json")) as f:
        median = json.load(f)["median"]["point_estimate"] / 1e9
    with open(os.path.join(folder, "benchmark.json")) as f:
        events = json.load(f)["throughput"]["Elements"]
    return median, events


def median_seconds(work, runs=5):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    generate()
    texts = log_event_texts()
    log_text = sum(len(json.loads(t)["message"].encode()) for t in texts)
    documents, dropped = check_documents(texts)
    print(f"{len(texts):,} log events, {log_text:,} bytes of log text: "
          f"{documents:,} documents and {dropped:,} dropped, the same on both sides")

    if "--no-bench" not in sys.argv:
        subprocess.run(["cargo", "bench", "-p", "tributary", "--bench", "remap"], cwd=ROOT, check=True)

    with open(EVENT, "rb") as f:
        body = f.read()
    python_events = median_seconds(lambda: [peer.parse_event(t) for t in texts])
    python_handler = median_seconds(lambda: peer.handler(json.loads(body), None))
    tributary_events, events = criterion("parse.vrl")
    tributary_handler, handler_events = criterion("handler")
    assert events == len(texts), (events, len(texts))

    rows = [("per log event (remap/parse.vrl)", events, tributary_events, python_events),
            (f"handler, {EVENT_RECORDS:,}-record event (remap/handler)", handler_events,
             tributary_handler, python_handler)]
    print()
    print("| work | log events | tributary log events/s | Python log events/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, count, ours, theirs in rows:
        print(f"| {name} | {count:,} | {count / ours:,.0f} | {count / theirs:,.0f} | {theirs / ours:.2f}x |")
    print()
    print(f"log text per second, per log event: tributary {log_text / tributary_events / 1e6:.1f} MB/s, "
          f"Python {log_text / python_events / 1e6:.1f} MB/s")
    before, _ = criterion("bridge before")
    after, _ = criterion("bridge after")
    print(f"bridge per log event: before {before / events * 1e9:.0f} ns, after {after / events * 1e9:.0f} ns")


if __name__ == "__main__":
    main()
