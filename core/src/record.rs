//! The record that flows through a pipeline.

use std::sync::Arc;

use crate::{Origin, Payload};

/// The position of a record in the input of one invocation (one Lambda event
/// or one replayed batch). Output records keep it, so every failure maps back
/// to the input record Lambda must retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputIndex(pub u32);

impl InputIndex {
    /// The input of a record a processor made rather than received, such as
    /// an aggregate document: it stems from no one input record.
    pub const EMITTED: InputIndex = InputIndex(u32::MAX);
}

/// One record: its payload and where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where the record came from.
    pub origin: Arc<Origin>,
    /// The record's data.
    pub payload: Payload,
    /// The input record this one stems from.
    pub input: InputIndex,
    /// The id a sink writes the record under, when it has a stable one (a
    /// DynamoDB item's keys, an aggregate's window and group).
    pub document_id: Option<Arc<str>>,
}

impl Record {
    /// A record with the given origin and payload, at `input` in its batch.
    pub fn new(origin: impl Into<Arc<Origin>>, payload: Payload, input: InputIndex) -> Self {
        Record {
            origin: origin.into(),
            payload,
            input,
            document_id: None,
        }
    }
}
