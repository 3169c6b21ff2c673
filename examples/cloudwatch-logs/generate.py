#!/usr/bin/env python3
"""Generates the cloudwatch-logs example's recording, deterministically.

CloudWatch Logs subscription filters deliver to a Kinesis stream: each
Kinesis record's data is a gzipped JSON subscription message (`messageType`,
`owner`, `logGroup`, `logStream`, `subscriptionFilters`, `logEvents`, each
event an `id`, a `timestamp` in milliseconds and the `message`), and
CloudWatch also sends a CONTROL_MESSAGE when it checks the destination. That
shape is AWS's (Amazon CloudWatch Logs User Guide, "Using CloudWatch Logs
subscription filters"); the log lines here are made up.

Three log groups, as a small shop would have them:

- /aws/lambda/checkout: an application's JSON log lines (level, message,
  request id, duration), between Lambda's own START, END and REPORT lines;
- /ecs/web/nginx: access log lines in the Apache/nginx combined format, a
  load balancer's health checks among them;
- /ecs/web/app: plain text lines, neither JSON nor access lines.

Only `random.random()` is used for randomness: Python guarantees its
sequence for a given seed across versions. Gzip is written with a fixed
mtime, so the same seed gives the same bytes everywhere.

    python3 examples/cloudwatch-logs/generate.py             # rewrites the example
    python3 examples/cloudwatch-logs/generate.py --records 5000 --out big.jsonl

Writes the recording (format v1, docs/recording-format.md), a Lambda event of
its first records (event.json, for `tributary invoke`), and expected.json:
what the example pipeline must index, counted the way the integration test
searches for it.
"""

import argparse
import base64
import gzip
import json
import os
from datetime import datetime, timezone

STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/application-logs"
OWNER = "123456789012"
START_MS = 1_795_860_000_000  # 2026-11-28T10:00:00Z
SHARDS = ["shardId-000000000000", "shardId-000000000001"]

PATHS = [("/", 0.2), ("/products/{n}", 0.45), ("/cart", 0.12), ("/checkout", 0.08),
         ("/api/orders/{n}", 0.1), ("/static/app.js", 0.05)]
STATUSES = [(200, 0.8), (304, 0.05), (404, 0.07), (500, 0.03), (502, 0.02), (503, 0.03)]
METHODS = [("GET", 0.85), ("POST", 0.15)]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
          "curl/8.5.0"]
LEVELS = [("INFO", 0.8), ("WARN", 0.12), ("ERROR", 0.08)]
APP_MESSAGES = {"INFO": ["order placed", "payment authorised", "cart updated"],
                "WARN": ["payment retried", "stock running low"],
                "ERROR": ["payment declined", "inventory service timed out"]}
TEXT_LINES = ["worker started", "cache warmed in 120 ms", "config reloaded"]


def pick(rng, weighted):
    x = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


class Rng:
    """random.Random, with random() alone used."""

    def __init__(self, seed):
        import random
        self.r = random.Random(seed)

    def random(self):
        return self.r.random()

    def int(self, low, high):
        return low + int(self.r.random() * (high - low + 1))


def iso(ms):
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def clf(ms):
    t = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return t.strftime("%d/%b/%Y:%H:%M:%S +0000")


class Expected:
    """What the pipeline indexes, counted as the test searches."""

    def __init__(self):
        self.c = {"log_events": 0, "documents": 0, "dropped": 0, "access": 0,
                  "application": 0, "text": 0, "status_5xx": 0, "status_4xx": 0,
                  "path_checkout": 0, "level_error": 0, "slow_requests": 0,
                  "days": {}}

    def document(self, kind, ms):
        self.c["documents"] += 1
        self.c[kind] += 1
        day = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("logs-%Y.%m.%d")
        self.c["days"][day] = self.c["days"].get(day, 0) + 1


def access_events(rng, ms, expected):
    if rng.random() < 0.15:
        # The load balancer's health check: dropped by the pipeline.
        expected.c["dropped"] += 1
        return (f'10.0.0.{rng.int(2, 9)} - - [{clf(ms)}] "GET /health HTTP/1.1" 200 2 "-" '
                f'"ELB-HealthChecker/2.0"')
    path = pick(rng, PATHS).replace("{n}", str(rng.int(1, 500)))
    status = pick(rng, STATUSES)
    method = pick(rng, METHODS)
    size = rng.int(200, 60000)
    agent = AGENTS[rng.int(0, len(AGENTS) - 1)]
    referrer = "https://www.example.com/" if rng.random() < 0.5 else "-"
    expected.document("access", ms)
    expected.c["status_5xx"] += status >= 500
    expected.c["status_4xx"] += 400 <= status < 500
    expected.c["path_checkout"] += path == "/checkout"
    ip = f"203.0.113.{rng.int(1, 254)}"
    return f'{ip} - - [{clf(ms)}] "{method} {path} HTTP/1.1" {status} {size} "{referrer}" "{agent}"'


def lambda_events(rng, ms, expected):
    request = f"{rng.int(0, 0xffffffff):08x}-{rng.int(0, 0xffff):04x}-4{rng.int(0, 0xfff):03x}"
    lines = [f"START RequestId: {request} Version: $LATEST"]
    for _ in range(rng.int(1, 3)):
        level = pick(rng, LEVELS)
        options = APP_MESSAGES[level]
        duration = rng.int(3, 2500)
        line = {"level": level, "ts": iso(ms), "msg": options[rng.int(0, len(options) - 1)],
                "request_id": request, "duration_ms": duration}
        lines.append(json.dumps(line, separators=(",", ":")))
        expected.document("application", ms)
        expected.c["level_error"] += level == "ERROR"
        expected.c["slow_requests"] += duration >= 1000
    lines.append(f"END RequestId: {request}")
    lines.append(f"REPORT RequestId: {request}\tDuration: {rng.int(3, 3000)}.00 ms\t"
                 f"Billed Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB")
    expected.c["dropped"] += 3
    return lines


def text_events(rng, ms, expected):
    expected.document("text", ms)
    return TEXT_LINES[rng.int(0, len(TEXT_LINES) - 1)]


def message(group, stream, events):
    return {"messageType": "DATA_MESSAGE", "owner": OWNER, "logGroup": group,
            "logStream": stream, "subscriptionFilters": ["to-search"],
            "logEvents": events}


CONTROL = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
           "logStream": "", "subscriptionFilters": [],
           "logEvents": [{"id": "", "timestamp": START_MS,
                          "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}


def generate(records, seed):
    rng = Rng(seed)
    expected = Expected()
    out = []
    sequences = {shard: 0 for shard in SHARDS}
    ms = START_MS
    event_id = 0
    for n in range(records):
        shard = SHARDS[n % len(SHARDS)]
        sequences[shard] += 1
        arrival = ms + 1500
        if n == 0:
            body = CONTROL
        else:
            kind = pick(rng, [("access", 0.5), ("lambda", 0.35), ("text", 0.15)])
            group, stream = {"access": ("/ecs/web/nginx", "nginx/web/7f3a"),
                             "lambda": ("/aws/lambda/checkout", "2026/11/28/[$LATEST]9c1e"),
                             "text": ("/ecs/web/app", "app/web/7f3a")}[kind]
            lines = []
            for _ in range(rng.int(4, 12)):
                ms += rng.int(5, 400)
                if kind == "access":
                    lines.append((ms, access_events(rng, ms, expected)))
                elif kind == "lambda":
                    lines.extend((ms, line) for line in lambda_events(rng, ms, expected))
                else:
                    lines.append((ms, text_events(rng, ms, expected)))
            events = []
            for at, line in lines:
                event_id += 1
                events.append({"id": f"{event_id:056d}", "timestamp": at, "message": line})
            expected.c["log_events"] += len(events)
            body = message(group, stream, events)
        data = gzip.compress(json.dumps(body, separators=(",", ":")).encode(), mtime=0)
        sequence = f"4959{shards_index(shard):04d}{sequences[shard]:048d}"
        out.append({"shard": shard, "sequence": sequence, "partition_key": body["logStream"] or "control",
                    "arrival_ms": arrival, "data_base64": base64.b64encode(data).decode()})
    return out, expected.c


def shards_index(shard):
    return SHARDS.index(shard)


def lambda_event(records):
    """A Kinesis event as Lambda delivers it, of `records`."""
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["partition_key"],
                    "sequenceNumber": r["sequence"], "data": r["data_base64"],
                    "approximateArrivalTimestamp": r["arrival_ms"] / 1000},
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": f'{r["shard"]}:{r["sequence"]}', "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/cloudwatch-logs",
        "awsRegion": "eu-west-1", "eventSourceARN": STREAM} for r in records]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=300, help="Kinesis records (the first is a control message)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default=os.path.join(here, "recording.jsonl"))
    parser.add_argument("--event-records", type=int, default=20, help="records in event.json")
    args = parser.parse_args()
    records, expected = generate(args.records, args.seed)
    header = {"tributary_recording": 1, "source": "kinesis", "stream": STREAM,
              "made_by": f"examples/cloudwatch-logs/generate.py --records {args.records} --seed {args.seed}"}
    with open(args.out, "w") as f:
        for line in [header] + records:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    folder = os.path.dirname(os.path.abspath(args.out))
    with open(os.path.join(folder, "event.json"), "w") as f:
        json.dump(lambda_event(records[:args.event_records]), f, indent=2)
        f.write("\n")
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
