//! Lambda's on-failure records for Kinesis and DynamoDB Streams event source
//! mappings: what Lambda sends to the mapping's on-failure destination when
//! it gives up on a batch (retries exhausted, records too old).
//!
//! An SQS or SNS destination gets metadata only: the invocation's request
//! and response context, and `KinesisBatchInfo` or `DDBStreamBatchInfo`
//! naming the stream, the shard and the batch's first and last sequence
//! numbers; the records must be read again from the stream. An S3
//! destination's object adds `payload`, the invocation event itself, as an
//! escaped JSON string (AWS's documentation; an object is accepted too).
//! A message an SNS topic delivered to a queue or an endpoint is wrapped in
//! an SNS `Notification`, whose `Message` holds the record as a string:
//! it is unwrapped. The shapes are in cli/tests/fixtures/on-failure/.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use tributary_connectors::sources::{EventDecoder, SequenceRange, SourceRecord};
use tributary_core::SourceKind;

/// A failed batch, as its on-failure record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OnFailureRecord {
    /// The stream's kind: Kinesis or DynamoDB Streams.
    pub(super) kind: SourceKind,
    /// The batch's stream, shard and sequence numbers.
    pub(super) range: SequenceRange,
    /// How many records the batch had, when the record says.
    pub(super) batch_size: Option<u64>,
    /// The invocation event, when the destination kept it (S3).
    pub(super) payload: Option<String>,
}

/// Why a text is not an on-failure record, at a line and column of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NotOnFailure {
    /// The line, from 1, of the text given (not of an SNS `Message` in it).
    pub(super) line: usize,
    /// The column, from 1.
    pub(super) column: usize,
    /// What is wrong, and what to do.
    pub(super) message: String,
}

impl std::fmt::Display for NotOnFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

const WHAT_IT_READS: &str = "redrive reads the records Lambda sends to a Kinesis or DynamoDB Streams \
     mapping's on-failure destination (with `KinesisBatchInfo` or `DDBStreamBatchInfo`) and \
     tributary recordings: is this the right queue, prefix or file?";

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "Type", default)]
    sns_type: Option<String>,
    #[serde(rename = "Message", default)]
    sns_message: Option<String>,
    #[serde(rename = "KinesisBatchInfo", default)]
    kinesis: Option<BatchInfo>,
    #[serde(rename = "DDBStreamBatchInfo", default)]
    dynamodb: Option<BatchInfo>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

/// `KinesisBatchInfo` and `DDBStreamBatchInfo` share their fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchInfo {
    shard_id: String,
    start_sequence_number: String,
    end_sequence_number: String,
    stream_arn: String,
    #[serde(default)]
    batch_size: Option<u64>,
}

/// Reads one on-failure record: an SQS message's body, an S3 destination's
/// object, or either inside an SNS `Notification`.
pub(super) fn parse(text: &str) -> Result<OnFailureRecord, NotOnFailure> {
    let document = read_document(text)?;
    if document.sns_type.as_deref() == Some("Notification")
        && let Some(message) = &document.sns_message
    {
        // What an SNS notification carries is not wrapped again.
        return read_document(message)
            .and_then(from_document)
            .map_err(|inner| NotOnFailure {
                line: 1,
                column: 1,
                message: format!("the SNS notification's `Message`, at its {inner}"),
            });
    }
    from_document(document)
}

fn read_document(text: &str) -> Result<Document<'_>, NotOnFailure> {
    serde_json::from_str(text).map_err(|error| NotOnFailure {
        line: error.line().max(1),
        column: error.column().max(1),
        message: format!("not an on-failure record: {error}; {WHAT_IT_READS}"),
    })
}

fn from_document(document: Document<'_>) -> Result<OnFailureRecord, NotOnFailure> {
    let whole = |message: String| NotOnFailure {
        line: 1,
        column: 1,
        message,
    };
    let (kind, info) = match (document.kinesis, document.dynamodb) {
        (Some(info), None) => (SourceKind::Kinesis, info),
        (None, Some(info)) => (SourceKind::DynamodbStreams, info),
        (Some(_), Some(_)) => {
            return Err(whole(
                "it has both `KinesisBatchInfo` and `DDBStreamBatchInfo`: Lambda writes one; \
                 fix or remove this record"
                    .to_owned(),
            ));
        }
        (None, None) => {
            return Err(whole(format!(
                "not an on-failure record: it has neither `KinesisBatchInfo` nor \
                 `DDBStreamBatchInfo`; {WHAT_IT_READS}"
            )));
        }
    };
    let payload = match document.payload {
        None => None,
        Some(raw) if raw.get().starts_with('"') => {
            let text = serde_json::from_str::<String>(raw.get())
                .map_err(|error| whole(format!("its `payload` is not a JSON string: {error}")))?;
            Some(text)
        }
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(raw.get().to_owned()),
    };
    Ok(OnFailureRecord {
        kind,
        range: SequenceRange {
            stream: info.stream_arn,
            shard: info.shard_id,
            first: info.start_sequence_number,
            last: info.end_sequence_number,
        },
        batch_size: info.batch_size,
        payload,
    })
}

impl OnFailureRecord {
    /// The records of the invocation event under `payload`, as a recording
    /// holds them (each one's original bytes), named by the batch's stream
    /// and shard. `None` without a payload: the records are read again
    /// from the stream then. A record the event does not give whole (bad
    /// base64, a change naming no item) is an error: its bytes cannot be
    /// redriven as they were.
    pub(super) fn payload_records(&self) -> Option<Result<Vec<SourceRecord>, String>> {
        let payload = self.payload.as_deref()?;
        let decoded = match EventDecoder::new().decode_as_recorded(self.kind, payload) {
            Ok(decoded) => decoded,
            Err(error) => return Some(Err(format!("its `payload`: {error}"))),
        };
        let mut records = Vec::with_capacity(decoded.records.len());
        for mut record in decoded.records {
            if let Some(error) = &record.error {
                return Some(Err(format!(
                    "its `payload`'s record at {}: {error}; the record cannot be redriven as it was",
                    record.origin
                )));
            }
            record.origin.shard = self.range.shard.as_str().into();
            if record.origin.stream.is_empty() {
                record.origin.stream = self.range.stream.as_str().into();
            }
            let original: Bytes = record.original().clone();
            record.data = original;
            record.raw = None;
            records.push(record);
        }
        Some(Ok(records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINESIS_SQS: &str =
        include_str!("../../../tests/fixtures/on-failure/kinesis-sqs-body.json");
    const DYNAMODB_SQS: &str =
        include_str!("../../../tests/fixtures/on-failure/dynamodb-sqs-body.json");
    const KINESIS_SNS: &str =
        include_str!("../../../tests/fixtures/on-failure/kinesis-sns-envelope.json");
    const KINESIS_S3: &str =
        include_str!("../../../tests/fixtures/on-failure/kinesis-s3-object.json");
    const DYNAMODB_S3: &str =
        include_str!("../../../tests/fixtures/on-failure/dynamodb-s3-object.json");

    /// The records of the Kinesis S3 object with its `payload` replaced by
    /// what `payload` makes of the original (a JSON string).
    fn with_payload(
        payload: impl FnOnce(&str) -> serde_json::Value,
    ) -> Result<Vec<SourceRecord>, String> {
        let mut object: serde_json::Value = serde_json::from_str(KINESIS_S3).unwrap();
        object["payload"] = payload(object["payload"].as_str().unwrap());
        parse(&object.to_string())
            .unwrap()
            .payload_records()
            .unwrap()
    }

    fn kinesis_range() -> SequenceRange {
        SequenceRange {
            stream: "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks".to_owned(),
            shard: "shardId-000000000002".to_owned(),
            first: "49658000000000000000000000000000000000000000000000000021".to_owned(),
            last: "49658000000000000000000000000000000000000000000000000131".to_owned(),
        }
    }

    #[test]
    fn an_sqs_body_names_the_kinesis_range_and_has_no_payload() {
        let record = parse(KINESIS_SQS).unwrap();
        assert_eq!(record.kind, SourceKind::Kinesis);
        assert_eq!(record.range, kinesis_range());
        assert_eq!(record.batch_size, Some(3));
        assert_eq!(record.payload, None);
        assert!(record.payload_records().is_none(), "read from the stream");
    }

    #[test]
    fn a_dynamodb_sqs_body_names_its_streams_range() {
        let record = parse(DYNAMODB_SQS).unwrap();
        assert_eq!(record.kind, SourceKind::DynamodbStreams);
        assert_eq!(
            record.range,
            SequenceRange {
                stream: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-01T00:00:00.000".to_owned(),
                shard: "shardId-00000001795800000000-0a1b2c3d".to_owned(),
                first: "3100000000000000000001".to_owned(),
                last: "3100000000000000000002".to_owned(),
            }
        );
        assert_eq!(record.batch_size, Some(2));
    }

    #[test]
    fn an_sns_notification_is_unwrapped() {
        assert_eq!(parse(KINESIS_SNS).unwrap(), parse(KINESIS_SQS).unwrap());
    }

    #[test]
    fn an_s3_objects_escaped_payload_gives_the_records_with_their_original_bytes() {
        let record = parse(KINESIS_S3).unwrap();
        assert_eq!(record.range, kinesis_range());
        let records = record.payload_records().unwrap().unwrap();
        let data: Vec<&[u8]> = records.iter().map(|r| &r.data[..]).collect();
        assert_eq!(
            data,
            [
                &br#"{"page":"/","user":"u-1"}"#[..],
                br#"{"page":"/cart","user":"u-2"}"#,
                b"not json \xff",
            ]
        );
        let first = &records[0].origin;
        assert_eq!(&*first.shard, "shardId-000000000002");
        assert_eq!(&*first.stream, kinesis_range().stream);
        assert_eq!(first.sequence, kinesis_range().first);
        assert_eq!(first.partition_key.as_deref(), Some("u-1"));
        assert_eq!(first.arrival_ms, 1_795_860_898_101);
        assert_eq!(records[2].origin.sequence, kinesis_range().last);
    }

    #[test]
    fn a_payload_written_as_an_object_reads_alike() {
        let as_object = with_payload(|text| serde_json::from_str(text).unwrap()).unwrap();
        let as_string = with_payload(|text| text.into()).unwrap();
        let bytes = |records: &[SourceRecord]| -> Vec<Bytes> {
            records.iter().map(|r| r.data.clone()).collect()
        };
        assert_eq!(bytes(&as_object).len(), 3);
        assert_eq!(bytes(&as_object), bytes(&as_string));
    }

    #[test]
    fn a_dynamodb_payload_gives_each_changes_dynamodb_object_on_the_batchs_shard() {
        let records = parse(DYNAMODB_S3)
            .unwrap()
            .payload_records()
            .unwrap()
            .unwrap();
        assert_eq!(records.len(), 2);
        let insert = &records[0];
        assert_eq!(
            &*insert.origin.shard,
            "shardId-00000001795800000000-0a1b2c3d"
        );
        assert_eq!(insert.origin.event_name.as_deref(), Some("INSERT"));
        assert_eq!(
            insert.origin.item_keys,
            Some(serde_json::json!({"pk": "order#1"}))
        );
        assert_eq!(
            &insert.data[..],
            br#"{"ApproximateCreationDateTime":1795860898,"Keys":{"pk":{"S":"order#1"}},"NewImage":{"pk":{"S":"order#1"},"total":{"N":"42.5"}},"SequenceNumber":"3100000000000000000001","SizeBytes":41,"StreamViewType":"NEW_AND_OLD_IMAGES"}"#
        );
        let remove = &records[1];
        assert_eq!(remove.origin.event_name.as_deref(), Some("REMOVE"));
        assert!(remove.origin.removed_by_ttl, "removed by Time to Live");
        assert_eq!(remove.origin.arrival_ms, 1_795_860_899_000);
    }

    #[test]
    fn what_is_not_an_on_failure_record_is_an_error_at_a_line_and_column_saying_what_redrive_reads()
    {
        let error = parse("{\"Records\":[]}").unwrap_err();
        assert_eq!((error.line, error.column), (1, 1));
        assert!(
            error.message.contains("neither `KinesisBatchInfo` nor"),
            "{error}"
        );
        assert!(error.message.contains("is this the right queue"), "{error}");

        let error = parse("{\n  \"KinesisBatchInfo\": {\"shardId\": 7}\n}").unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert!(error.message.contains("invalid type"), "{error}");

        let error = parse("not json").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("1:2: not an on-failure record"),
            "{error}"
        );

        let sns = r#"{"Type":"Notification","Message":"{\"hello\":1}"}"#;
        let error = parse(sns).unwrap_err();
        assert!(
            error
                .message
                .starts_with("the SNS notification's `Message`"),
            "{error}"
        );
    }

    #[test]
    fn a_payload_record_that_cannot_be_read_whole_is_an_error_naming_it() {
        let first_data = "eyJwYWdlIjoiLyIsInVzZXIiOiJ1LTEifQ==";
        let error = with_payload(|text| text.replace(first_data, "!!").into()).unwrap_err();
        assert!(
            error.contains("shard shardId-000000000002, sequence 49658000000000000000000000000000000000000000000000000021"),
            "{error}"
        );
        let error = with_payload(|_| "{\"nothing\":true}".into()).unwrap_err();
        assert!(
            error.starts_with("its `payload`: the event is not a kinesis event"),
            "{error}"
        );
    }
}
