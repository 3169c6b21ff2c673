//! Lambda events, decoded into source records: what the sources' decoders
//! share.
//!
//! Each source has its event shape, read in its own folder's `event.rs`:
//! Kinesis and DynamoDB Streams deliver a batch of `Records` (and, on a
//! tumbling window, the window's properties beside them, read by
//! `envelope.rs`); EventBridge delivers one event. [`EventDecoder`] picks the
//! pipeline's source and turns the event's JSON text into [`SourceRecord`]s,
//! one per user record, each with the origin that names it to Lambda in
//! `batchItemFailures`.
//!
//! An entry that cannot be read (bad base64, a field of the wrong type) does
//! not fail the batch: it becomes a record that fails at stage `source` and
//! follows the pipeline's `on_error`. Only an event that is not of the
//! expected shape at all, or an entry with no sequence number to report, is
//! an [`EventError`]: Lambda then retries the whole batch.

use bytes::BytesMut;
use tributary_core::{SourceKind, Window};

use super::{SourceConfig, SourceRecord, dynamodb_streams, eventbridge, kinesis};

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

/// Decodes Lambda events for one pipeline's source. It keeps one buffer for
/// the decoded bytes of every record of an invocation, and reuses it once the
/// previous invocation's records are gone.
#[derive(Debug, Default)]
pub struct EventDecoder {
    buffer: BytesMut,
}

impl EventDecoder {
    /// A decoder with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes the event's JSON text as the source's event.
    pub fn decode(
        &mut self,
        source: &SourceConfig,
        event: &str,
    ) -> Result<DecodedEvent, EventError> {
        match source {
            SourceConfig::Kinesis(_) => kinesis::decode(event, &mut self.buffer),
            SourceConfig::DynamodbStreams(config) => dynamodb_streams::decode(event, config),
            SourceConfig::Eventbridge(config) => eventbridge::decode(event, config),
        }
    }
}

pub(super) fn wrong_shape(expected: SourceKind, error: serde_json::Error) -> EventError {
    EventError::WrongShape {
        expected,
        reason: error.to_string(),
    }
}
