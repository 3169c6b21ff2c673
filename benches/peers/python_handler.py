"""The same Lambda handler as tributary's benchmark pipeline, written the
plain way in Python: decode each record, parse it, keep purchases and
clicks, write them as JSON Lines, answer with batchItemFailures.

benches/handler_process.py times it on the same event.
"""
import base64
import json

OUT = open("/dev/null", "w")


def handler(event, context):
    failures = []
    lines = []
    for record in event["Records"]:
        try:
            payload = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
            break
        if payload.get("kind") in ("purchase", "click"):
            lines.append(json.dumps(payload, separators=(",", ":")))
    OUT.write("\n".join(lines))
    OUT.write("\n")
    OUT.flush()
    return {"batchItemFailures": failures}
