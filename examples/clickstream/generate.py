#!/usr/bin/env python3
"""Generates the clickstream example's recording, deterministically.

A web shop's click events on a Kinesis stream with four shards: Zipf-distributed
users and pages (a few are very popular, most are rare), sessions, devices,
prices and long-tailed latencies, and a few malformed records (truncated JSON,
bytes that are not UTF-8, plain text) as real streams have.

Records are placed on shards the way Kinesis does it: the MD5 hash of the
partition key (the user id), as a 128-bit number, falls in one of the shards'
equal hash-key ranges. Sequence numbers grow per shard.

Only `random.random()` is used for randomness: Python guarantees its sequence
for a given seed across versions, so the same seed gives the same file
everywhere.

    python3 examples/clickstream/generate.py                  # rewrites the example
    python3 examples/clickstream/generate.py --records 100000 --shards 8 --out big.jsonl

Writes the recording (format v1, docs/recording-format.md) and, beside it with
--expected, the payloads the example pipeline must deliver.
"""

import argparse
import base64
import bisect
import hashlib
import json
import math
import random

STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream"
START_MS = 1_795_860_000_000  # 2026-11-28T10:00:00Z
EVENT_TYPES = [("page_view", 0.62), ("click", 0.25), ("add_to_cart", 0.08), ("purchase", 0.05)]
DEVICES = [
    ({"type": "mobile", "os": "iOS", "browser": "Safari"}, 0.34),
    ({"type": "mobile", "os": "Android", "browser": "Chrome"}, 0.30),
    ({"type": "desktop", "os": "Windows", "browser": "Chrome"}, 0.18),
    ({"type": "desktop", "os": "macOS", "browser": "Safari"}, 0.10),
    ({"type": "desktop", "os": "Linux", "browser": "Firefox"}, 0.05),
    ({"type": "tablet", "os": "iPadOS", "browser": "Safari"}, 0.03),
]
CITIES = [
    ({"country": "DE", "city": "Berlin"}, 0.2), ({"country": "FR", "city": "Paris"}, 0.18),
    ({"country": "GB", "city": "London"}, 0.2), ({"country": "ES", "city": "Madrid"}, 0.1),
    ({"country": "IT", "city": "Milan"}, 0.08), ({"country": "NL", "city": "Amsterdam"}, 0.08),
    ({"country": "PL", "city": "Warsaw"}, 0.06), ({"country": "SE", "city": "Stockholm"}, 0.05),
    ({"country": "US", "city": "New York"}, 0.05),
]
REFERRERS = [(None, 0.5), ("https://www.google.com/", 0.3), ("https://www.bing.com/", 0.05),
             ("https://t.co/", 0.05), ("https://news.ycombinator.com/", 0.02), ("https://mail.example.com/", 0.08)]
SECTIONS = ["/", "/search", "/cart", "/checkout"]


class Sampler:
    """Draws from weighted choices with random.random() alone."""

    def __init__(self, rng, weighted):
        self.rng = rng
        self.values = [v for v, _ in weighted]
        total = sum(w for _, w in weighted)
        self.cdf = []
        acc = 0.0
        for _, w in weighted:
            acc += w / total
            self.cdf.append(acc)

    def draw(self):
        i = bisect.bisect_left(self.cdf, self.rng.random())
        return self.values[min(i, len(self.values) - 1)]


def zipf(rng, n, s):
    return Sampler(rng, [(k, 1.0 / (k ** s)) for k in range(1, n + 1)])


def shard_of(partition_key, shards):
    h = int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")
    return h * shards >> 128


def iso(ms):
    seconds, millis = divmod(ms, 1000)
    days, rem = divmod(seconds, 86400)
    # Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    return f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{millis:03d}Z"


def generate(records, shards, seed, malformed_every):
    rng = random.Random(seed)
    users = zipf(rng, 2000, 1.1)
    products = zipf(rng, 500, 1.2)
    event_types = Sampler(rng, EVENT_TYPES)
    devices = Sampler(rng, DEVICES)
    cities = Sampler(rng, CITIES)
    referrers = Sampler(rng, REFERRERS)
    sessions = {}
    counters = [0] * shards
    now = START_MS
    out = []
    for n in range(records):
        now += max(1, int(-math.log(1.0 - rng.random()) * 10))  # about 100 events/s
        user = f"u-{users.draw():05d}"
        shard = shard_of(user, shards)
        counters[shard] += 1
        sequence = str(49590000000000000000000000000000000000000000000000000000
                       + shard * 10 ** 40 + counters[shard] * 1_000_003)
        session = sessions.get(user)
        if session is None or rng.random() < 0.05:
            session = f"s-{seed:x}-{n:07d}"
            sessions[user] = session
        kind = event_types.draw()
        product = products.draw()
        page = f"/products/{product}" if rng.random() < 0.7 else SECTIONS[int(rng.random() * len(SECTIONS))]
        event = {
            "event_id": f"e-{n:07d}",
            "type": kind,
            "user_id": user,
            "session_id": session,
            "page": page,
            "referrer": referrers.draw(),
            "ts": iso(now - int(rng.random() * 200)),
            "device": devices.draw(),
            "geo": cities.draw(),
            # Log-normal latencies: a median near 80 ms and a long tail.
            "latency_ms": round(math.exp(4.4 + 0.6 * normal(rng)), 1),
        }
        if kind in ("add_to_cart", "purchase"):
            event["product_id"] = product
            event["price"] = round(2.0 + (product * 7919 % 19000) / 100, 2)
            event["quantity"] = 1 + int(-math.log(1.0 - rng.random()) * 0.7)
        if kind == "purchase":
            event["order_id"] = f"o-{n:07d}"
            event["currency"] = "EUR"
        data = json.dumps(event, separators=(",", ":")).encode()
        malformed = malformed_every and n % malformed_every == malformed_every // 2
        if malformed:
            variant = (n // malformed_every) % 3
            data = [data[: len(data) // 2], b"\xff\xfe" + data[2:40], b"ping"][variant]
        out.append((shard, sequence, user, now, data, not malformed))
    return out


def normal(rng):
    """A standard normal draw (Box-Muller) from random.random() alone."""
    u1 = 1.0 - rng.random()
    u2 = rng.random()
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--malformed-every", type=int, default=1000, help="one malformed record in N; 0 for none")
    parser.add_argument("--out", default="examples/clickstream/recording.jsonl")
    parser.add_argument("--expected", help="also write the payloads a pass-through pipeline delivers here")
    args = parser.parse_args()

    records = generate(args.records, args.shards, args.seed, args.malformed_every)
    header = {"tributary_recording": 1, "source": "kinesis", "stream": STREAM,
              "made_by": f"examples/clickstream/generate.py --records {args.records} --shards {args.shards} --seed {args.seed} --malformed-every {args.malformed_every}"}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, separators=(",", ":")) + "\n")
        for shard, sequence, user, arrival, data, valid in records:
            line = {"shard": f"shardId-{shard:012d}", "sequence": sequence, "partition_key": user, "arrival_ms": arrival}
            if valid:
                f.write(json.dumps(line, separators=(",", ":"))[:-1] + ',"data":' + data.decode() + "}\n")
            else:
                line["data_base64"] = base64.b64encode(data).decode()
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
    if args.expected:
        with open(args.expected, "w", encoding="utf-8") as f:
            for *_, data, valid in records:
                if valid:
                    f.write(data.decode() + "\n")


if __name__ == "__main__":
    main()
