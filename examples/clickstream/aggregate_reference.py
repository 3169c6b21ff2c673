#!/usr/bin/env python3
"""Computes, independently of tributary, the aggregates that
examples/clickstream/aggregates.toml must produce from a recording.

Plain Python, no tributary code: each shard's records are assigned to
tumbling windows by arrival time (windows aligned to the epoch, as Lambda
aligns them), grouped by (type, geo.country), and the metrics are computed
exactly: counts, sums and averages in stream order (so floating-point sums
match to the bit), min, max, first, last, the exact number of distinct users,
and exact percentiles (the value at rank floor(q * (n - 1)) of the sorted
values, the rank tributary's sketch answers for). Records whose payload is
not JSON are left out (the pipeline skips them).

    python3 examples/clickstream/aggregate_reference.py RECORDING WINDOW_SECS > reference.jsonl
"""
import base64
import datetime
import json
import math
import sys


def rfc3339(ms):
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


def payload(line):
    try:
        if "data" in line:
            return line["data"] if isinstance(line["data"], dict) else None
        return json.loads(base64.b64decode(line["data_base64"]))
    except (ValueError, UnicodeDecodeError):
        return None


def number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def main():
    path, window_secs = sys.argv[1], int(sys.argv[2])
    length = window_secs * 1000
    groups = {}
    with open(path) as f:
        next(f)  # the header
        for text in f:
            line = json.loads(text)
            event = payload(line)
            if not isinstance(event, dict):
                continue
            start = (line["arrival_ms"] // length) * length
            geo = event.get("geo") if isinstance(event.get("geo"), dict) else {}
            key = (line["shard"], start, event.get("type"), geo.get("country"))
            g = groups.setdefault(key, {"records": 0, "prices": [], "latencies": [], "pages": [], "users": set()})
            g["records"] += 1
            if number(event.get("price")) is not None:
                g["prices"].append(event["price"])
            if number(event.get("latency_ms")) is not None:
                g["latencies"].append(event["latency_ms"])
            if event.get("page") is not None:
                g["pages"].append(event["page"])
            if event.get("user_id") is not None:
                g["users"].add(event["user_id"])
    for (shard, start, kind, country), g in sorted(groups.items(), key=lambda item: str(item[0])):
        revenue = 0.0
        for price in g["prices"]:
            revenue += price
        latencies = sorted(g["latencies"])

        def percentile(q):
            return latencies[math.floor(q * (len(latencies) - 1))] if latencies else None

        print(json.dumps({
            "shard": shard,
            "window_start": rfc3339(start),
            "window_end": rfc3339(start + length),
            "type": kind,
            "geo.country": country,
            "records": g["records"],
            "events": g["records"],
            "revenue": revenue if g["prices"] else None,
            "avg_price": revenue / len(g["prices"]) if g["prices"] else None,
            "min_latency": min(latencies) if latencies else None,
            "max_latency": max(latencies) if latencies else None,
            "first_page": g["pages"][0] if g["pages"] else None,
            "last_page": g["pages"][-1] if g["pages"] else None,
            "users": len(g["users"]),
            "latency": {"p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99)},
        }))


if __name__ == "__main__":
    main()
