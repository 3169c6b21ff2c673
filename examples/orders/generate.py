#!/usr/bin/env python3
"""Generates the orders example's recording and event, deterministically.

The `orders` DynamoDB table's stream (NEW_AND_OLD_IMAGES), two shards: orders
are placed (INSERT), move from `placed` to `paid` to `shipped` (MODIFY, with
the old image), and a few are cancelled and deleted (REMOVE, the old image
only). Each change is recorded as docs/recording-format.md says: the stream
record's `dynamodb` object in DynamoDB JSON under `data`, with `keys`,
`event_name` and `arrival_ms` beside it. The Lambda event (event.json, for
`tributary invoke`) holds the first changes as Lambda delivers them.

Only `random.random()` is used for randomness: Python guarantees its sequence
for a given seed across versions, so the same seed gives the same files
everywhere.

    python3 examples/orders/generate.py                 # rewrites the example
    python3 examples/orders/generate.py --changes 10000 --out big.jsonl
"""

import argparse
import json
import os
import random

TABLE_STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-28T00:00:00.000"
START_MS = 1_795_860_000_000  # 2026-11-28T10:00:00Z
SHARDS = ["shardId-00000001795860000000-0a1b2c3d", "shardId-00000001795860000000-4e5f6a7b"]
STATUSES = ["placed", "paid", "shipped"]


def dynamo(value):
    """A plain JSON value in DynamoDB JSON."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, dict):
        return {"M": {k: dynamo(v) for k, v in value.items()}}
    raise TypeError(value)


def image(item):
    return {k: dynamo(v) for k, v in item.items()}


def generate(changes, seed):
    rng = random.Random(seed)
    orders = {}  # order_id -> item, for orders that exist
    counters = [0] * len(SHARDS)
    now = START_MS
    out = []
    placed = 0
    while len(out) < changes:
        now += 1 + int(rng.random() * 400)
        open_orders = sorted(orders)
        roll = rng.random()
        if not open_orders or roll < 0.4:
            placed += 1
            order_id = f"o-{placed:05d}"
            old, new = None, {
                "order_id": order_id,
                "customer_id": f"c-{1 + int(rng.random() * 300):04d}",
                "status": "placed",
                "total": round(5 + rng.random() * 245, 2),
                "items": 1 + int(rng.random() * 4),
            }
            event_name = "INSERT"
        else:
            order_id = open_orders[int(rng.random() * len(open_orders))]
            old = orders[order_id]
            step = STATUSES.index(old["status"]) + 1
            if roll < 0.93 and step < len(STATUSES):
                new = dict(old, status=STATUSES[step])
                event_name = "MODIFY"
            elif roll >= 0.93 and old["status"] == "placed":
                new = None
                event_name = "REMOVE"
            else:
                continue
        if new is None:
            del orders[order_id]
        else:
            orders[order_id] = new
        shard = int.from_bytes(order_id.encode(), "big") % len(SHARDS)
        counters[shard] += 1
        sequence = str(1100000000000000000000 + shard * 10 ** 15 + counters[shard] * 100)
        change = {"ApproximateCreationDateTime": now // 1000, "Keys": {"order_id": {"S": order_id}}}
        if new is not None:
            change["NewImage"] = image(new)
        if old is not None:
            change["OldImage"] = image(old)
        change["SequenceNumber"] = sequence
        change["SizeBytes"] = len(json.dumps(change))
        change["StreamViewType"] = "NEW_AND_OLD_IMAGES"
        out.append((SHARDS[shard], sequence, order_id, event_name, now, change))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="examples/orders/recording.jsonl")
    parser.add_argument("--event-records", type=int, default=5, help="changes in event.json, beside --out")
    args = parser.parse_args()

    changes = generate(args.changes, args.seed)
    header = {"tributary_recording": 1, "source": "dynamodb_streams", "stream": TABLE_STREAM,
              "made_by": f"examples/orders/generate.py --changes {args.changes} --seed {args.seed}"}
    compact = {"separators": (",", ":")}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, **compact) + "\n")
        for shard, sequence, order_id, event_name, arrival, change in changes:
            line = {"shard": shard, "sequence": sequence, "keys": {"order_id": order_id},
                    "event_name": event_name, "arrival_ms": arrival, "data": change}
            f.write(json.dumps(line, **compact) + "\n")
    records = [
        {
            "eventID": f"{int(sequence):032x}",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1",
            "dynamodb": change,
            "eventSourceARN": TABLE_STREAM,
        }
        # A Lambda event holds the changes of one shard.
        for shard, sequence, _, event_name, _, change in changes
        if shard == changes[0][0]
    ][: args.event_records]
    event = os.path.join(os.path.dirname(args.out) or ".", "event.json")
    with open(event, "w", encoding="utf-8") as f:
        f.write(json.dumps({"Records": records}, indent=2) + "\n")


if __name__ == "__main__":
    main()
