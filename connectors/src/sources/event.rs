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
