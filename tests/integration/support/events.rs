//! Lambda events built in tests, shaped as Lambda sends them.

use base64::Engine as _;
use serde_json::{Value, json};

/// The stream every test event comes from.
pub const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/tests";

/// The sequence number of the `index`th record of a test event: 56 digits,
/// as Kinesis writes them.
pub fn sequence(index: usize) -> String {
    format!("4959033827149025660855969253836157109592157598913658{index:04}")
}

/// One Kinesis entry with `data` base64-encoded.
pub fn kinesis_entry(shard: &str, sequence: &str, data: &[u8]) -> Value {
    raw_kinesis_entry(
        shard,
        sequence,
        &base64::engine::general_purpose::STANDARD.encode(data),
    )
}

/// One Kinesis entry whose `data` is written as given (to test bad base64).
pub fn raw_kinesis_entry(shard: &str, sequence: &str, data: &str) -> Value {
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": format!("pk-{sequence}"),
            "sequenceNumber": sequence,
            "data": data,
            "approximateArrivalTimestamp": 1700000000.5,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("{shard}:{sequence}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/LambdaRole",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM,
    })
}

/// A Kinesis event of the given entries.
pub fn kinesis_event(entries: Vec<Value>) -> String {
    json!({ "Records": entries }).to_string()
}

/// A Kinesis event whose records are `(shard, payload)`, numbered in order.
pub fn kinesis_event_of(records: &[(&str, &str)]) -> String {
    kinesis_event(
        records
            .iter()
            .enumerate()
            .map(|(i, (shard, data))| kinesis_entry(shard, &sequence(i), data.as_bytes()))
            .collect(),
    )
}

/// One DynamoDB Streams entry.
pub fn dynamodb_entry(
    event_name: &str,
    sequence: &str,
    keys: Value,
    new_image: Option<Value>,
    old_image: Option<Value>,
) -> Value {
    let mut change = json!({
        "ApproximateCreationDateTime": 1700000000,
        "Keys": keys,
        "SequenceNumber": sequence,
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(image) = new_image {
        change["NewImage"] = image;
    }
    if let Some(image) = old_image {
        change["OldImage"] = image;
    }
    json!({
        "eventID": format!("id-{sequence}"),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
    })
}

/// `bytes` gzipped as a producer would, at the best ratio (so a bomb stays
/// a small record).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
