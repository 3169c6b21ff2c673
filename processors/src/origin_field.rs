//! Facts about where a record came from, by the names pipeline files give
//! them: `project` writes them into payloads, `remap` reads them as `%`
//! metadata.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tributary_core::Origin;
use tributary_core::time::rfc3339_millis;

/// A fact about a record's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginField {
    /// When the record arrived in the stream, RFC 3339.
    ArrivalTime,
    /// When the record arrived, in milliseconds since the epoch.
    ArrivalMs,
    /// The shard id.
    Shard,
    /// The sequence number.
    Sequence,
    /// The sub-sequence number of a KPL user record (null otherwise).
    SubSequence,
    /// The Kinesis partition key.
    PartitionKey,
    /// The stream or table stream ARN.
    Stream,
    /// The DynamoDB change (`INSERT`, `MODIFY`, `REMOVE`).
    EventName,
    /// The source kind (`kinesis`, `dynamodb_streams`, `eventbridge`).
    Source,
    /// Whether Time to Live removed the DynamoDB item.
    RemovedByTtl,
}

impl OriginField {
    /// Every fact, in the order of the docs.
    pub const ALL: [OriginField; 10] = [
        OriginField::ArrivalTime,
        OriginField::ArrivalMs,
        OriginField::Shard,
        OriginField::Sequence,
        OriginField::SubSequence,
        OriginField::PartitionKey,
        OriginField::Stream,
        OriginField::EventName,
        OriginField::Source,
        OriginField::RemovedByTtl,
    ];

    /// The fact's name, as pipeline files write it.
    pub fn name(self) -> &'static str {
        match self {
            OriginField::ArrivalTime => "arrival_time",
            OriginField::ArrivalMs => "arrival_ms",
            OriginField::Shard => "shard",
            OriginField::Sequence => "sequence",
            OriginField::SubSequence => "sub_sequence",
            OriginField::PartitionKey => "partition_key",
            OriginField::Stream => "stream",
            OriginField::EventName => "event_name",
            OriginField::Source => "source",
            OriginField::RemovedByTtl => "removed_by_ttl",
        }
    }

    /// The fact named `name`, if there is one.
    pub fn named(name: &str) -> Option<OriginField> {
        OriginField::ALL
            .into_iter()
            .find(|field| field.name() == name)
    }

    /// The fact about `origin`, as JSON.
    pub fn value(self, origin: &Origin) -> Value {
        match self {
            OriginField::ArrivalTime => json!(rfc3339_millis(origin.arrival_ms)),
            OriginField::ArrivalMs => json!(origin.arrival_ms),
            OriginField::Shard => json!(&*origin.shard),
            OriginField::Sequence => json!(origin.sequence),
            OriginField::SubSequence => json!(origin.sub_sequence),
            OriginField::PartitionKey => json!(origin.partition_key),
            OriginField::Stream => json!(&*origin.stream),
            OriginField::EventName => json!(origin.event_name),
            OriginField::Source => json!(origin.source.as_str()),
            OriginField::RemovedByTtl => json!(origin.removed_by_ttl),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_ones_serde_reads() {
        for field in OriginField::ALL {
            let read: OriginField = serde_json::from_value(json!(field.name())).unwrap();
            assert_eq!(read, field);
            assert_eq!(OriginField::named(field.name()), Some(field));
        }
    }
}
