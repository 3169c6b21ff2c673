"""The benchmark pipeline's work written with Powertools for AWS Lambda
(Python): BatchProcessor over the Kinesis event, each record's data decoded
and parsed by its data class, purchases and clicks kept, the kept payloads
written as JSON Lines in one write (bulk), and the partial batch response
as the answer.

benches/handler_vs_peers.py times it beside tributary's handler on the same
event.
"""
import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

OUT = open("/dev/null", "w")
PROCESSOR = BatchProcessor(event_type=EventType.KinesisDataStreams)
LINES = []


def record_handler(record: KinesisStreamRecord):
    payload = record.kinesis.data_as_json()
    if payload.get("kind") in ("purchase", "click"):
        LINES.append(json.dumps(payload, separators=(",", ":")))


def handler(event, context):
    LINES.clear()
    response = process_partial_response(event=event, record_handler=record_handler,
                                        processor=PROCESSOR, context=context)
    OUT.write("\n".join(LINES))
    OUT.write("\n")
    OUT.flush()
    return response
