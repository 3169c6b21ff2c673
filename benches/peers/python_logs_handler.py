"""The cloudwatch-logs example's program (examples/cloudwatch-logs/parse.vrl),
written the plain way in Python: a Lambda handler for a Kinesis stream fed
by a CloudWatch Logs subscription. Each record is base64, then gzip, then a
subscription message; each of its log events is parsed with json, re and
datetime, and written as a JSON line, or dropped as parse.vrl drops it.

`parse_event` is the per-log-event work the remap processor does (a log
event's JSON text in, a document's JSON text out), and `handler` the whole
invocation. benches/remap_vs_python.py times both beside tributary.
"""
import base64
import gzip
import json
import re
from datetime import datetime, timezone

OUT = open("/dev/null", "w")

PLATFORM = ("START RequestId:", "END RequestId:", "REPORT RequestId:")

# The combined access log format: host, identity, user, [time],
# "request", status, size, "referrer", "agent". An unquoted `-` is an absent
# field; a quoted one ("-") is kept, as VRL's parse_apache_log keeps it.
ACCESS = re.compile(
    r'^\s*(?P<host>\S+)\s+(?P<identity>\S+)\s+(?P<user>\S+)\s+\[(?P<timestamp>[^\]]*)\]\s+'
    r'"(?P<message>(?P<method>\w+)\s+(?P<path>[^"]*?)\s+(?P<protocol>[^"]*?)\s*)"\s+'
    r'(?P<status>\d+|-)\s+(?P<size>\d+|-)\s+"(?P<referrer>[^"]*)"\s+"(?P<agent>[^"]*)"'
)
INTEGERS = ("status", "size")
UNQUOTED = ("host", "identity", "user", "status", "size")


def iso(time):
    """A time as VRL writes one: RFC 3339 in UTC, with as many fractional
    digits as it needs (none, 3, 6)."""
    time = time.astimezone(timezone.utc)
    text = time.strftime("%Y-%m-%dT%H:%M:%S")
    if time.microsecond % 1000:
        text += f".{time.microsecond:06d}"
    elif time.microsecond:
        text += f".{time.microsecond // 1000:03d}"
    return text + "Z"


def access_line(line):
    """The fields of an access line, or None if it is none."""
    match = ACCESS.match(line)
    if match is None:
        return None
    fields = {name: value for name, value in match.groupdict().items()
              if not (value == "-" and name in UNQUOTED)}
    try:
        for name in INTEGERS:
            if name in fields:
                fields[name] = int(fields[name])
        fields["timestamp"] = datetime.strptime(fields["timestamp"], "%d/%b/%Y:%H:%M:%S %z")
    except (KeyError, ValueError):
        return None
    return fields


def parse(event):
    """A log event's document, or None to drop it."""
    line = event["message"]
    if line.startswith(PLATFORM):
        return None
    document = None
    if line.startswith("{"):
        try:
            fields = json.loads(line)
        except ValueError:
            fields = None
        if isinstance(fields, dict):
            document = fields
            document["kind"] = "application"
            level = document.get("level")
            document["level"] = level.lower() if isinstance(level, str) else "info"
            ts = document.pop("ts", None)
            if isinstance(ts, str):
                try:
                    document["@timestamp"] = iso(datetime.fromisoformat(ts))
                except ValueError:
                    pass
    else:
        access = access_line(line)
        if access is not None:
            if access.get("path") == "/health":
                return None
            document = access
            document["kind"] = "access"
            document["@timestamp"] = iso(document.pop("timestamp"))
    if document is None:
        document = {"kind": "text", "message": line}
    if "@timestamp" not in document:
        document["@timestamp"] = iso(datetime.fromtimestamp(event["timestamp"] / 1000, tz=timezone.utc))
    document["log_group"] = event["logGroup"]
    document["log_stream"] = event["logStream"]
    document["event_id"] = event["id"]
    return document


def parse_event(text):
    """One log event's JSON text to its document's JSON text, or None."""
    document = parse(json.loads(text))
    return None if document is None else json.dumps(document, separators=(",", ":"))


def log_events(data):
    """The log events of one Kinesis record's data, each with its message's
    group, stream, owner and filters, as tributary's codec gives them."""
    message = json.loads(gzip.decompress(base64.b64decode(data)))
    if message["messageType"] != "DATA_MESSAGE":
        return []
    shared = {name: message[name] for name in ("logGroup", "logStream", "owner", "subscriptionFilters")}
    return [dict(event, **shared) for event in message["logEvents"]]


def handler(event, context):
    lines = []
    for record in event["Records"]:
        for log_event in log_events(record["kinesis"]["data"]):
            document = parse(log_event)
            if document is not None:
                lines.append(json.dumps(document, separators=(",", ":")))
    OUT.write("\n".join(lines))
    OUT.write("\n")
    OUT.flush()
    return {"batchItemFailures": []}
