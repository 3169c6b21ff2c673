//! The one place that picks the pipeline's source to decode a Lambda event:
//! its JSON text into [`SourceRecord`](super::SourceRecord)s, one per user
//! record, each with the origin that names it to Lambda in
//! `batchItemFailures`.

use bytes::BytesMut;

use super::event::{DecodedEvent, EventError};
use super::{SourceConfig, dynamodb_streams, eventbridge, kinesis};

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
