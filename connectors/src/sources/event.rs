//! Lambda events, decoded into source records: what the sources' decoders
//! give ([`DecodedEvent`]) and how a whole event fails ([`EventError`]).
//!
//! Each source has its event shape, read in its own folder's `event.rs`:
//! Kinesis and DynamoDB Streams deliver a batch of `Records` (and, on a
//! tumbling window, the window's properties beside them, read by
//! `envelope.rs`); EventBridge delivers one event. The
//! [`EventDecoder`](super::EventDecoder) picks the pipeline's source.
//!
//! An entry that cannot be read (bad base64, a field of the wrong type) does
//! not fail the batch: it becomes a record that fails at stage `source` and
//! follows the pipeline's `on_error`. Only an event that is not of the
//! expected shape at all, or an entry with no sequence number to report, is
//! an [`EventError`]: Lambda then retries the whole batch.

use tributary_core::{SourceKind, Window};

use super::SourceRecord;

/// A Lambda event, decoded.
#[derive(Debug)]
pub struct DecodedEvent {
    /// The event's records, in the event's order; a KPL-aggregated Kinesis
    /// record gives one record per user record.
    pub records: Vec<SourceRecord>,
    /// The tumbling window this invocation belongs to, when the event source
    /// mapping has one.
    pub window: Option<Window>,
}

/// Why a whole event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The event does not have the shape the pipeline's source expects.
    #[error("the event is not a {expected} event: {reason}; check the pipeline's [source] type")]
    WrongShape {
        /// The source the pipeline declares.
        expected: SourceKind,
        /// What serde found wrong.
        reason: String,
    },
    /// The event is of another kind than the pipeline's source reads.
    #[error(
        "the event is {found}, and the pipeline's [source] is `type = \"{expected}\"`: \
         invoke it with {} event, or set the [source] type to the event's source",
        article(*expected)
    )]
    OtherKind {
        /// The source the pipeline declares.
        expected: SourceKind,
        /// What the event is, in words (`a DynamoDB Streams event`).
        found: &'static str,
    },
    /// An entry carries no sequence number, so its failure could not be
    /// reported back to Lambda; the whole batch must be retried.
    #[error("record {index} of the event has no sequence number to report to Lambda: {reason}")]
    Unidentifiable {
        /// The entry's position in `Records`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

pub(super) fn wrong_shape(expected: SourceKind, error: serde_json::Error) -> EventError {
    EventError::WrongShape {
        expected,
        reason: error.to_string(),
    }
}

impl EventError {
    /// This error, or, when the event `text` is of another kind than the
    /// `expected` source reads, that: a DynamoDB Streams event given to a
    /// Kinesis pipeline is named as such, not by the field it lacks.
    pub(super) fn or_other_kind(self, expected: SourceKind, text: &str) -> EventError {
        match kind_of(text) {
            Some((kind, found)) if kind != Some(expected) => {
                EventError::OtherKind { expected, found }
            }
            _ => self,
        }
    }
}

/// What a Lambda event is, from its marks: the source it comes from (when
/// a pipeline can read it) and its name in words. Read only after a
/// decoder failed, so its cost does not matter.
fn kind_of(text: &str) -> Option<(Option<SourceKind>, &'static str)> {
    let event: serde_json::Value = serde_json::from_str(text).ok()?;
    if event.get("detail-type").is_some() && event.get("source").is_some() {
        return Some((Some(SourceKind::Eventbridge), "an EventBridge event"));
    }
    if event.get("awslogs").is_some() {
        return Some((
            None,
            "a CloudWatch Logs subscription event (read it from a Kinesis stream with `codec = \"cloudwatch-logs\"`)",
        ));
    }
    let first = event.get("Records")?.get(0)?;
    let source = first
        .get("eventSource")
        .or_else(|| first.get("EventSource"))
        .and_then(serde_json::Value::as_str)?;
    Some(match source {
        "aws:kinesis" => (Some(SourceKind::Kinesis), "a Kinesis event"),
        "aws:dynamodb" => (
            Some(SourceKind::DynamodbStreams),
            "a DynamoDB Streams event",
        ),
        "aws:sqs" => (None, "an SQS event"),
        "aws:s3" => (None, "an S3 event"),
        "aws:sns" => (None, "an SNS event"),
        _ => return None,
    })
}

/// `a kinesis` / `a dynamodb_streams` / `an eventbridge`, for messages.
fn article(kind: SourceKind) -> String {
    match kind {
        SourceKind::Eventbridge => format!("an {kind}"),
        SourceKind::Kinesis | SourceKind::DynamodbStreams => format!("a {kind}"),
    }
}
