#!/usr/bin/env python3
"""Generates the alerts example's recording and event, deterministically.

Events on the `orders` EventBridge bus, as the shop's services put them:
orders placed (`shop.orders`, "Order Placed"), payments that succeed and a
few that fail (`shop.payments`, "Payment Succeeded", "Payment Failed", with
a reason). Each event is recorded whole under `data`, as
docs/recording-format.md says for EventBridge: the shard is the bus, the
sequence the event id, `arrival_ms` its `time`. The Lambda event
(event.json, for `tributary invoke`) is the first failed payment: Lambda
gives an EventBridge target one event an invocation.

Only `random.random()` is used for randomness: Python guarantees its sequence
for a given seed across versions, so the same seed gives the same files
everywhere.

    python3 examples/alerts/generate.py                 # rewrites the example
    python3 examples/alerts/generate.py --events 10000 --out big.jsonl
"""

import argparse
import json
import os
import random
from datetime import datetime, timezone

BUS = "orders"
BUS_ARN = "arn:aws:events:eu-west-1:123456789012:event-bus/orders"
START_MS = 1_795_860_000_000  # 2026-11-28T10:00:00Z
REASONS = ["card_declined", "insufficient_funds", "expired_card", "fraud_suspected"]


def iso(ms):
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(events, seed):
    rng = random.Random(seed)
    now = START_MS
    out = []
    order = 0
    while len(out) < events:
        now += 1000 + int(rng.random() * 4000)
        order += 1
        order_id = f"o-{order:05d}"
        amount = round(5 + rng.random() * 245, 2)
        placed = ("shop.orders", "Order Placed", {"order_id": order_id, "total": amount})
        if rng.random() < 0.1:
            paid = ("shop.payments", "Payment Failed",
                    {"order_id": order_id, "amount": amount,
                     "reason": REASONS[int(rng.random() * len(REASONS))]})
        else:
            paid = ("shop.payments", "Payment Succeeded", {"order_id": order_id, "amount": amount})
        for offset, (source, detail_type, detail) in enumerate([placed, paid]):
            time = now + offset * 1000
            n = len(out)
            event = {
                "version": "0",
                "id": f"{seed:08x}-0000-4000-8000-{n:012x}",
                "detail-type": detail_type,
                "source": source,
                "account": "123456789012",
                "time": iso(time),
                "region": "eu-west-1",
                "resources": [],
                "detail": detail,
            }
            # EventBridge's `time` has whole seconds: the arrival is that.
            out.append((time // 1000 * 1000, event))
    return out[:events]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="examples/alerts/recording.jsonl")
    args = parser.parse_args()

    events = generate(args.events, args.seed)
    header = {"tributary_recording": 1, "source": "eventbridge", "stream": BUS_ARN,
              "made_by": f"examples/alerts/generate.py --events {args.events} --seed {args.seed}"}
    compact = {"separators": (",", ":")}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, **compact) + "\n")
        for arrival, event in events:
            line = {"shard": BUS, "sequence": event["id"], "arrival_ms": arrival, "data": event}
            f.write(json.dumps(line, **compact) + "\n")
    failed = next(event for _, event in events if event["detail-type"] == "Payment Failed")
    with open(os.path.join(os.path.dirname(args.out) or ".", "event.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(failed, indent=2) + "\n")


if __name__ == "__main__":
    main()
