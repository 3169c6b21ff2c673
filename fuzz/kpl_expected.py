#!/usr/bin/env python3
"""Writes the KPL fuzz target's seeds and what AWS's own library makes of them.

Run once from the repository's root (`python3 fuzz/kpl_expected.py`); it
needs PyPI's `aws-kinesis-agg`. It writes:
- fuzz/seeds/kpl/NAME: one Kinesis record's data each, aggregated by
  `aws_kinesis_agg.aggregator` or built by hand to be broken;
- fuzz/kpl_expected.jsonl: per seed, what `aws_kinesis_agg.deaggregator`
  gives for it, one line each:
  {"seed": NAME, "data": base64, "outcome": OUTCOME, "records": [...]}
  where OUTCOME is
  - "whole": not an aggregate, the record passes through as it is;
  - "split": an aggregate, `records` its user records in order, each
    {"partition_key", "data" (base64)};
  - "refused": the library gives no record, or stops with an error part
    way (an aggregate of no record, a partition key index past the
    table). tributary passes such a record through whole, as the KCL
    does; the fuzz target checks only the first two outcomes.

The fuzz target (fuzz_targets/kpl.rs) reads this file and compares.
"""
import base64
import contextlib
import hashlib
import io
import json
import os
import sys

# The deaggregator puts the package's folder on the path, which its
# generated protobuf modules need: it is imported first.
from aws_kinesis_agg.deaggregator import deaggregate_records
from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg import MAGIC, messages_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds", "kpl")
EXPECTED = os.path.join(HERE, "kpl_expected.jsonl")


def aggregate(users):
    """The data of one aggregated record of `users`: (key, data[, hash key])."""
    agg = RecordAggregator()
    for user in users:
        assert agg.add_user_record(*user) is None, "the seeds fit one aggregate"
    return agg.clear_and_get().get_contents()[2]


def by_hand(keys, records, hash_keys=()):
    """An aggregate built from the protobuf message, so it can be wrong."""
    message = messages_pb2.AggregatedRecord()
    message.partition_key_table.extend(keys)
    message.explicit_hash_key_table.extend(hash_keys)
    for key_index, data in records:
        record = message.records.add()
        record.partition_key_index = key_index
        record.data = data
    body = message.SerializeToString()
    return MAGIC + body + hashlib.md5(body).digest()


def with_digest(body):
    return MAGIC + body + hashlib.md5(body).digest()


def seeds():
    yield "five-json", aggregate([(f"user-{i}", json.dumps({"n": i}).encode()) for i in range(5)])
    yield "one", aggregate([("only", b'{"n":200,"kind":"buy"}')])
    yield "sixty-mixed-keys", aggregate(
        [(f"k{i % 7}", json.dumps({"n": i, "pad": "x" * (i % 20)}).encode()) for i in range(60)])
    yield "explicit-hash-keys", aggregate(
        [("a", b"1", "1234567890"), ("b", b"2", "987654321"), ("a", b"3", "1234567890")])
    yield "binary-empty-unicode", aggregate(
        [("\u00e9t\u00e9 \U0001f600", b""), ("k", bytes(range(256))), ("\u00e9t\u00e9 \U0001f600", b"\xff\x00")])
    good = aggregate([("broken", b'{"n":999}')])
    yield "wrong-digest", good[:-1] + bytes([good[-1] ^ 0xFF])
    yield "plain-json", b'{"n":100,"kind":"view"}'
    yield "magic-only", MAGIC
    yield "empty-message", MAGIC + hashlib.md5(b"").digest()
    yield "no-records", by_hand(["a"], [])
    yield "key-index-past-table", by_hand(["a"], [(0, b"1"), (3, b"2")])
    garbage = b"\xff\xff\xff"
    yield "garbage-protobuf", MAGIC + garbage + hashlib.md5(garbage).digest()
    # Hand-encoded protobuf: field 1 a key, field 3 a record (field 1 its
    # key index, field 3 its data, field 4 a tag).
    record = b"\x08\x00\x1a\x01x"
    yield "missing-required-fields", with_digest(b"\x0a\x01a\x1a\x02\x08\x00\x1a\x03\x1a\x01y")
    yield "key-not-utf8", with_digest(b"\x0a\x02\xff\xfe\x1a" + bytes([len(record)]) + record)
    yield "unknown-field", with_digest(b"\x0a\x01a\x78\x01\x1a" + bytes([len(record)]) + record)
    tagged = record + b"\x22\x03\x0a\x01k"
    yield "tagged", with_digest(b"\x0a\x01a\x1a" + bytes([len(tagged)]) + tagged)


def deaggregated(data):
    record = {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "outer",
                          "sequenceNumber": "1", "approximateArrivalTimestamp": 1.0,
                          "data": base64.b64encode(data).decode()}}
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        users = list(deaggregate_records([record]))
    if errors.getvalue() or not users:
        return "refused", []
    if len(users) == 1 and not users[0]["kinesis"].get("aggregated"):
        return "whole", []
    return "split", [{"partition_key": text(u["kinesis"]["partitionKey"]),
                      "data": u["kinesis"]["data"].decode()} for u in users]


def text(key):
    """A partition key as text. proto2 does not check that strings are
    UTF-8, so the library may give a key as bytes: it is then its lossy
    UTF-8 text, each invalid sequence one U+FFFD, as the KCL (Java) and
    tributary make it."""
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else key


def main():
    os.makedirs(SEEDS, exist_ok=True)
    with open(EXPECTED, "w") as expected:
        for name, data in seeds():
            with open(os.path.join(SEEDS, name), "wb") as seed:
                seed.write(data)
            outcome, records = deaggregated(data)
            line = {"seed": name, "data": base64.b64encode(data).decode(),
                    "outcome": outcome, "records": records}
            expected.write(json.dumps(line) + "\n")
            print(f"{name}: {outcome}, {len(records)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
