#!/usr/bin/env python3
"""Writes a Kinesis Lambda event for the handler benchmarks: 10,000 records
on one shard (as one invocation of an event source mapping receives them),
about 6 MB in all, the largest event Lambda sends.

Payloads are small clickstream events (about 50 bytes: most of an event's
bytes are Lambda's own fields); a quarter of them are purchases. The event is deterministic, so every run measures the same bytes.

    python3 benches/data/kinesis_event.py OUT.json [RECORDS]
"""
import base64
import json
import random
import sys

KINDS = ["view", "view", "click", "purchase"]
PAGES = ["/", "/search", "/cart", "/pay"] + [f"/p/{i}" for i in range(40)]


def payload(rng, i):
    kind = KINDS[i % len(KINDS)]
    event = {"kind": kind, "user": f"u-{rng.randrange(100000):06d}", "page": rng.choice(PAGES)}
    if kind == "purchase":
        event["eur"] = round(rng.uniform(1, 500), 2)
    return json.dumps(event, separators=(",", ":")).encode()


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rng = random.Random(7)
    shard = "shardId-000000000000"
    arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream"
    records = []
    for i in range(count):
        sequence = str(49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_800 + i * 2)
        records.append({
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": f"u-{i % 1000:06d}",
                "sequenceNumber": sequence,
                "data": base64.b64encode(payload(rng, i)).decode(),
                "approximateArrivalTimestamp": 1_790_000_000.0 + i * 0.037,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/clickstream-processor",
            "awsRegion": "eu-west-1",
            "eventSourceARN": arn,
        })
    with open(out, "w") as f:
        json.dump({"Records": records}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
