//! The `[source]` of a pipeline.
//!
//! One folder per source, named after its TOML `type`: [`kinesis`],
//! [`dynamodb_streams`], [`eventbridge`]. Each holds its config (`config.rs`),
//! the decoding of its Lambda events into [`SourceRecord`]s (`event.rs`), and
//! with the `aws-clients` feature its AWS SDK clients (`recorder.rs`, and for
//! Kinesis `writer.rs`). Kinesis's KPL de-aggregation and DynamoDB's items,
//! document ids and "last change of an item wins" collapse live in their
//! source's folder.
//!
//! What the sources share is here, in files named for their job:
//!
//! - this file: [`SourceConfig`] (one variant per source, and what the
//!   runtime asks of a source: batching, retries, codec, which records a later
//!   one supersedes, document ids) and [`SourceRecord`];
//! - `decoder.rs`: [`EventDecoder`], which decodes a Lambda event with the
//!   pipeline's source; `event.rs`: what the sources' decoders give
//!   ([`DecodedEvent`]) and [`EventError`]; `envelope.rs`: the window
//!   properties around a stream event's records;
//! - `codec.rs`: [`Codec`], record bytes to payloads;
//! - `mapping.rs`: the event source mapping's settings ([`MappingSettings`]),
//!   declared once for the stream sources;
//! - `aws_clients.rs` (feature `aws-clients`): what the recorders and the
//!   writer share: where to reach AWS, where to start and stop, where a
//!   recording goes;
//! - `sequence_range.rs` (feature `aws-clients`): re-reading one shard's
//!   records between two sequence numbers, as Lambda's on-failure records
//!   name failed batches.

#[cfg(feature = "aws-clients")]
mod aws_clients;
mod codec;
mod decoder;
pub mod dynamodb_streams;
mod envelope;
mod event;
pub mod eventbridge;
pub mod kinesis;
mod mapping;
#[cfg(feature = "aws-clients")]
mod sequence_range;

#[cfg(feature = "aws-clients")]
pub use aws_clients::{
    AwsError, AwsSetupError, Endpoint, Recorded, RecordingOutput, StartAt, StopWhen,
};
pub use codec::{Codec, DecodeError, DecompressionBudget, log_event_record};
pub use decoder::EventDecoder;
pub use dynamodb_streams::{DynamodbPayload, DynamodbStreamsSourceConfig};
pub use event::{DecodedEvent, EventError};
pub use eventbridge::EventbridgeSourceConfig;
pub use kinesis::{KinesisConsumer, KinesisSourceConfig};
pub use mapping::{MappingSettings, StartingPosition};
#[cfg(feature = "aws-clients")]
pub use sequence_range::{MAX_EMPTY_PAGES, RangeEnd, RangeRead, RangeReader, SequenceRange};

use std::sync::Arc;

use bytes::Bytes;
use schemars::Schema;
use tributary_config::{Component, Diagnostic};
use tributary_core::{Origin, SourceKind};

/// One record as a source delivers it, before its codec makes a payload of it.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// Where the record came from.
    pub origin: Origin,
    /// The record's bytes.
    pub data: Bytes,
    /// Whether `data` is already known to be one JSON text.
    pub data_is_json: bool,
    /// Why the record could not be read from its event (bad base64, an
    /// entry of the wrong shape). Such a record fails at stage `source` and
    /// follows `on_error`; `data` then holds what the event had, as it was.
    pub error: Option<DecodeError>,
    /// The record's bytes as the source gave them, when `data` was made from
    /// them: for DynamoDB Streams, the stream record's `dynamodb` object in
    /// DynamoDB JSON, from which `data` (the item or the change) was made.
    /// Recordings and dead letters keep these bytes (see [`Self::original`]).
    /// `None` when `data` is itself what the source gave.
    pub raw: Option<Bytes>,
}

impl SourceRecord {
    /// A record of bytes not yet known to be JSON.
    pub fn new(origin: Origin, data: Bytes) -> Self {
        SourceRecord {
            origin,
            data,
            data_is_json: false,
            error: None,
            raw: None,
        }
    }

    /// A record that could not be read; `raw` is what the event had.
    pub fn unreadable(origin: Origin, raw: Bytes, error: DecodeError) -> Self {
        SourceRecord {
            origin,
            data: raw,
            data_is_json: false,
            error: Some(error),
            raw: None,
        }
    }

    /// The bytes a recording or a dead letter keeps of this record: what the
    /// source gave, from which [`SourceConfig::recorded`] makes the same
    /// record again.
    pub fn original(&self) -> &Bytes {
        self.raw.as_ref().unwrap_or(&self.data)
    }
}

/// The id a sink writes a record of this origin under, when its source gives
/// it one: for a DynamoDB change, its item's id, from its keys
/// ([`dynamodb_streams::item_document_id`]). `None` when the origin names no
/// item, as the records of other sources do not.
pub fn document_id_of(origin: &Origin) -> Option<Arc<str>> {
    dynamodb_streams::item_id(origin)
}

/// A pipeline's source, as configured.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// `type = "kinesis"`.
    Kinesis(KinesisSourceConfig),
    /// `type = "dynamodb_streams"`.
    DynamodbStreams(DynamodbStreamsSourceConfig),
    /// `type = "eventbridge"`.
    Eventbridge(EventbridgeSourceConfig),
}

/// How Lambda retries a stream batch that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many retries; `None` until the records expire.
    pub maximum_retry_attempts: Option<u32>,
    /// Split a batch in two when the function fails as a whole.
    pub bisect_on_function_error: bool,
}

/// The source types, as written in TOML.
pub const SOURCE_TYPES: [&str; 3] = ["dynamodb_streams", "eventbridge", "kinesis"];

impl SourceConfig {
    /// Reads the `[source]` table.
    pub fn from_component(component: &Component) -> Result<Self, Diagnostic> {
        let options = component.options();
        let config = match component.kind() {
            "kinesis" => SourceConfig::Kinesis(options.deserialize()?),
            "dynamodb_streams" => SourceConfig::DynamodbStreams(options.deserialize()?),
            "eventbridge" => SourceConfig::Eventbridge(options.deserialize()?),
            _ => return Err(component.unknown_kind("source", &SOURCE_TYPES)),
        };
        config.batching().check(options)?;
        match &config {
            SourceConfig::Kinesis(kinesis) => MappingSettings::from(kinesis).check(options)?,
            SourceConfig::DynamodbStreams(dynamodb) => dynamodb.check(options)?,
            SourceConfig::Eventbridge(eventbridge) => eventbridge.check(options)?,
        }
        Ok(config)
    }

    /// The kind of source.
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceConfig::Kinesis(_) => SourceKind::Kinesis,
            SourceConfig::DynamodbStreams(_) => SourceKind::DynamodbStreams,
            SourceConfig::Eventbridge(_) => SourceKind::Eventbridge,
        }
    }

    /// How Lambda batches this source's records.
    pub fn batching(&self) -> Batching {
        match self {
            SourceConfig::Kinesis(c) => Batching {
                batch_size: c.batch_size,
                max_batch_size: 10_000,
            },
            SourceConfig::DynamodbStreams(c) => Batching {
                batch_size: c.batch_size,
                max_batch_size: 10_000,
            },
            SourceConfig::Eventbridge(_) => Batching {
                batch_size: 1,
                max_batch_size: 1,
            },
        }
    }

    /// The event source mapping's settings; `None` for EventBridge, which
    /// a rule invokes instead.
    pub fn mapping_settings(&self) -> Option<MappingSettings> {
        match self {
            SourceConfig::Kinesis(c) => Some(c.into()),
            SourceConfig::DynamodbStreams(c) => Some(c.into()),
            SourceConfig::Eventbridge(_) => None,
        }
    }

    /// How Lambda retries this source's failed batches (EventBridge: its
    /// asynchronous retries, twice by default).
    pub fn retry_policy(&self) -> RetryPolicy {
        let (attempts, bisect) = match self {
            SourceConfig::Kinesis(c) => {
                (c.maximum_retry_attempts, c.bisect_batch_on_function_error)
            }
            SourceConfig::DynamodbStreams(c) => {
                (c.maximum_retry_attempts, c.bisect_batch_on_function_error)
            }
            SourceConfig::Eventbridge(c) => {
                return RetryPolicy {
                    maximum_retry_attempts: Some(c.maximum_retry_attempts),
                    bisect_on_function_error: false,
                };
            }
        };
        RetryPolicy {
            maximum_retry_attempts: u32::try_from(attempts).ok(),
            bisect_on_function_error: bisect,
        }
    }

    /// How long Lambda gathers records before invoking, in seconds.
    pub fn batching_window_secs(&self) -> u32 {
        match self {
            SourceConfig::Kinesis(c) => c.batching_window_secs,
            SourceConfig::DynamodbStreams(c) => c.batching_window_secs,
            SourceConfig::Eventbridge(_) => 0,
        }
    }

    /// The event source mapping's tumbling window, in seconds, if any.
    pub fn tumbling_window_secs(&self) -> Option<u32> {
        match self {
            SourceConfig::Kinesis(c) => c.tumbling_window_secs,
            SourceConfig::DynamodbStreams(c) => c.tumbling_window_secs,
            SourceConfig::Eventbridge(_) => None,
        }
    }

    /// How the source's record bytes become payloads.
    pub fn codec(&self) -> Codec {
        match self {
            SourceConfig::Kinesis(c) => c.codec,
            SourceConfig::DynamodbStreams(_) | SourceConfig::Eventbridge(_) => Codec::Json,
        }
    }

    /// A record read from a recording or a dead letter, made into what this
    /// source's Lambda decoding makes of the same record. For DynamoDB
    /// Streams, the record's bytes are the stream record's `dynamodb` object
    /// and the change (item or whole change, as `payload` says) is rebuilt
    /// from it, failing as it would in Lambda; records of other sources, and
    /// records that already failed, are returned as they are.
    pub fn recorded(&self, record: SourceRecord) -> SourceRecord {
        match self {
            SourceConfig::DynamodbStreams(config)
                if record.origin.source == SourceKind::DynamodbStreams
                    && record.error.is_none() =>
            {
                dynamodb_streams::rebuild(record, config.payload)
            }
            _ => record,
        }
    }

    /// Which of a batch's inputs a later record supersedes, by position: they
    /// count as dropped and go no further. For DynamoDB Streams with
    /// `collapse = true`, the earlier changes to an item that changes again
    /// later in the batch. Empty (none superseded) for other sources.
    pub fn superseded(&self, inputs: &[SourceRecord]) -> Vec<bool> {
        match self {
            SourceConfig::DynamodbStreams(config) if config.collapse => {
                dynamodb_streams::superseded(inputs)
            }
            _ => Vec::new(),
        }
    }

    /// The JSON Schema of each source type's options, by type.
    pub fn schemas() -> Vec<(&'static str, Schema)> {
        vec![
            (
                "dynamodb_streams",
                schemars::schema_for!(DynamodbStreamsSourceConfig),
            ),
            (
                "eventbridge",
                schemars::schema_for!(EventbridgeSourceConfig),
            ),
            ("kinesis", schemars::schema_for!(KinesisSourceConfig)),
        ]
    }
}

/// How Lambda's event source mapping batches a source's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// The most records in one invocation.
    pub batch_size: u32,
    /// The largest `batch_size` Lambda accepts for this source.
    pub max_batch_size: u32,
}

impl Batching {
    /// The largest invocation payload Lambda accepts, in bytes.
    pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

    fn check(&self, options: &tributary_config::Options) -> Result<(), Diagnostic> {
        if self.batch_size == 0 || self.batch_size > self.max_batch_size {
            return Err(options
                .error_at(
                    "batch_size",
                    format!("`batch_size` must be between 1 and {}", self.max_batch_size),
                )
                .hint(format!(
                    "Lambda accepts 1 to {} records per batch for this source",
                    self.max_batch_size
                )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_config::{PipelineConfig, SourceFile};

    fn source(text: &str) -> Result<SourceConfig, Diagnostic> {
        let text =
            format!("[pipeline]\nname = \"t\"\n[source]\n{text}\n[sinks.out]\ntype = \"jsonl\"\n");
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        SourceConfig::from_component(&config.source)
    }

    #[test]
    fn reads_each_source_type_with_defaults() {
        let SourceConfig::Kinesis(kinesis) = source("type = \"kinesis\"").unwrap() else {
            panic!()
        };
        assert_eq!((kinesis.batch_size, kinesis.codec), (100, Codec::Json));
        assert_eq!(
            source("type = \"dynamodb_streams\"").unwrap().kind(),
            SourceKind::DynamodbStreams
        );
        assert_eq!(
            source("type = \"eventbridge\"")
                .unwrap()
                .batching()
                .batch_size,
            1
        );
    }

    #[test]
    fn a_kinesis_source_reads_through_a_shared_or_an_efo_consumer() {
        let read = |text: &str| match source(text) {
            Ok(SourceConfig::Kinesis(kinesis)) => Ok(kinesis.consumer),
            Ok(other) => panic!("{other:?}"),
            Err(diagnostic) => Err(diagnostic.to_string()),
        };
        assert_eq!(read("type = \"kinesis\""), Ok(KinesisConsumer::Shared));
        assert_eq!(
            read("type = \"kinesis\"\nconsumer = \"efo\""),
            Ok(KinesisConsumer::Efo)
        );
        let error = read("type = \"kinesis\"\nconsumer = \"fan-out\"").unwrap_err();
        assert!(error.contains("unknown value `fan-out`"), "{error}");
        assert!(error.contains("p.toml:5:"), "{error}");
    }

    #[test]
    fn rejects_batch_sizes_lambda_does_not_accept() {
        let error = source("type = \"kinesis\"\nbatch_size = 20000").unwrap_err();
        assert_eq!(error.message, "`batch_size` must be between 1 and 10000");
        assert_eq!(error.position().unwrap(), "p.toml:5:14");
    }

    #[test]
    fn event_source_mapping_settings_outside_lambdas_limits_are_refused_at_their_key() {
        for (setting, message) in [
            (
                "parallelization_factor = 11",
                "`parallelization_factor` must be between 1 and 10",
            ),
            (
                "maximum_record_age_secs = 30",
                "`maximum_record_age_secs` must be -1 or between 60 and 604800",
            ),
            (
                "batching_window_secs = 301",
                "`batching_window_secs` must be between 0 and 300",
            ),
            (
                "starting_position = \"at-timestamp\"",
                "needs `starting_position_timestamp`",
            ),
            (
                "starting_position = \"at-timestamp\"\nstarting_position_timestamp = \"yesterday\"",
                "is not an RFC 3339 time",
            ),
            (
                "starting_position_timestamp = \"2026-11-28T00:00:00Z\"",
                "needs `starting_position = \"at-timestamp\"`",
            ),
            (
                "on_failure_destination = \"arn:aws:lambda:eu-west-1:1:function:f\"",
                "is not the ARN of an SQS queue, SNS topic or S3 bucket",
            ),
        ] {
            let error = source(&format!("type = \"kinesis\"\n{setting}")).unwrap_err();
            assert!(
                error.message.contains(message),
                "{setting}: {}",
                error.message
            );
            assert!(
                error.position().unwrap().starts_with("p.toml:"),
                "{setting}"
            );
        }
        for (setting, message) in [
            (
                "maximum_retry_attempts = 3",
                "`maximum_retry_attempts` must be between 0 and 2",
            ),
            (
                "maximum_event_age_secs = 30",
                "`maximum_event_age_secs` must be between 60 and 21600",
            ),
            (
                "on_failure_destination = \"queue\"",
                "is not the ARN of an SQS queue",
            ),
        ] {
            let error = source(&format!("type = \"eventbridge\"\n{setting}")).unwrap_err();
            assert!(
                error.message.contains(message),
                "{setting}: {}",
                error.message
            );
        }
        let error = source("type = \"dynamodb_streams\"\nstarting_position = \"at-timestamp\"")
            .unwrap_err();
        assert!(
            error.message.contains("`trim-horizon` or `latest`"),
            "{}",
            error.message
        );
        let SourceConfig::Kinesis(kinesis) = source("type = \"kinesis\"").unwrap() else {
            panic!()
        };
        let mapping = MappingSettings::from(&kinesis);
        assert_eq!(
            (
                mapping.starting_position,
                mapping.parallelization_factor,
                mapping.maximum_record_age_secs
            ),
            (StartingPosition::TrimHorizon, 1, -1)
        );
    }

    #[test]
    fn unknown_source_types_suggest_the_closest() {
        let error = source("type = \"kinesys\"").unwrap_err();
        assert!(error.hint.unwrap().starts_with("did you mean `kinesis`?"));
    }
}
