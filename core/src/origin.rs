//! Where a record came from.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The kind of source a record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A Kinesis data stream.
    Kinesis,
    /// A DynamoDB table's stream.
    DynamodbStreams,
    /// An EventBridge event bus.
    Eventbridge,
}

impl SourceKind {
    /// The name used in pipeline TOML and recordings.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Kinesis => "kinesis",
            SourceKind::DynamodbStreams => "dynamodb_streams",
            SourceKind::Eventbridge => "eventbridge",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a record does to what it names. Sinks read this, not a source's
/// own names for its changes: a source says which of its records are deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Change {
    /// The record adds or replaces what it names (an event, a document, an
    /// item's new state). Every record but a delete.
    #[default]
    Upsert,
    /// What the record names is gone: a DynamoDB REMOVE.
    Delete,
}

/// Where one record came from: enough to name it in an error message and to
/// report it back to Lambda as a batch item failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The kind of source.
    pub source: SourceKind,
    /// The stream ARN, the table's stream ARN, or the event bus.
    pub stream: Arc<str>,
    /// The shard id (for EventBridge, the event bus again: it has no shards).
    pub shard: Arc<str>,
    /// The sequence number, as the source writes it (for EventBridge, the event id).
    pub sequence: String,
    /// The position of a user record inside a KPL-aggregated record.
    pub sub_sequence: Option<u64>,
    /// The Kinesis partition key.
    pub partition_key: Option<String>,
    /// The DynamoDB item keys, as plain JSON.
    pub item_keys: Option<serde_json::Value>,
    /// When the record arrived in the stream, in milliseconds since the Unix epoch.
    pub arrival_ms: i64,
    /// The change kind for DynamoDB Streams (`INSERT`, `MODIFY`, `REMOVE`).
    pub event_name: Option<String>,
    /// DynamoDB Streams: the item was removed by Time to Live, not by a user.
    pub removed_by_ttl: bool,
    /// Whether the record upserts or deletes what it names, as its source
    /// says (DynamoDB Streams: a REMOVE deletes). Recordings keep the
    /// source's own `event_name`, from which the source says it again.
    pub change: Change,
}

impl Origin {
    /// An origin with only the fields every source has.
    pub fn new(
        source: SourceKind,
        stream: impl Into<Arc<str>>,
        shard: impl Into<Arc<str>>,
        sequence: impl Into<String>,
    ) -> Self {
        Origin {
            source,
            stream: stream.into(),
            shard: shard.into(),
            sequence: sequence.into(),
            sub_sequence: None,
            partition_key: None,
            item_keys: None,
            arrival_ms: 0,
            event_name: None,
            removed_by_ttl: false,
            change: Change::Upsert,
        }
    }
}

/// Names the record the way error messages do: `shard S, sequence N`.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shard {}, sequence {}", self.shard, self.sequence)?;
        if let Some(sub) = self.sub_sequence {
            write!(f, " (sub-sequence {sub})")?;
        }
        Ok(())
    }
}

/// Orders two sequence numbers as their stream does. Kinesis and DynamoDB
/// Streams sequence numbers are decimal strings of up to 128 digits,
/// larger than any integer type, and of varying length: they compare as
/// numbers, not as text (`"9"` comes before `"10"`). Leading zeros do not
/// count. A sequence number that is not all digits (an EventBridge event id,
/// a recording's `line N`) comes after every decimal one, and compares with
/// the others like it as text, so the order stays total.
pub fn compare_sequence_numbers(a: &str, b: &str) -> Ordering {
    fn decimal(sequence: &str) -> Option<&str> {
        let digits = sequence.trim_start_matches('0');
        let all_digits = !sequence.is_empty() && sequence.bytes().all(|b| b.is_ascii_digit());
        all_digits.then_some(digits)
    }
    match (decimal(a), decimal(b)) {
        (Some(a), Some(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers_of_any_length() {
        let kinesis = "49590338271490256608559692538361571095921575989136588898";
        let next = "49590338271490256608559692538361571095921575989136588899";
        assert_eq!(compare_sequence_numbers(kinesis, next), Ordering::Less);
        assert_eq!(compare_sequence_numbers("9", "10"), Ordering::Less);
        assert_eq!(compare_sequence_numbers("0010", "10"), Ordering::Equal);
        assert_eq!(compare_sequence_numbers("100", "99"), Ordering::Greater);
        assert_eq!(compare_sequence_numbers("0", ""), Ordering::Less);
    }

    #[test]
    fn other_sequence_numbers_come_after_decimal_ones_in_text_order() {
        assert_eq!(compare_sequence_numbers("line 3", "7"), Ordering::Greater);
        assert_eq!(compare_sequence_numbers("7", "line 3"), Ordering::Less);
        assert_eq!(compare_sequence_numbers("line 3", "line 4"), Ordering::Less);
        assert_eq!(compare_sequence_numbers("-1", "1"), Ordering::Greater);
    }
}
