//! The one place that picks the pipeline's source to decode a Lambda event:
//! its JSON text into [`SourceRecord`](super::SourceRecord)s, one per user
//! record, each with the origin that names it to Lambda in
//! `batchItemFailures`.

use bytes::BytesMut;
use tributary_core::SourceKind;

use super::event::{DecodedEvent, EventError};
use super::{DynamodbPayload, SourceConfig, dynamodb_streams, eventbridge, kinesis};

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
        let decoded = match source {
            SourceConfig::Kinesis(_) => kinesis::decode(event, &mut self.buffer),
            SourceConfig::DynamodbStreams(config) => {
                dynamodb_streams::decode(event, config.payload)
            }
            SourceConfig::Eventbridge(config) => eventbridge::decode(event, config),
        };
        decoded.map_err(|error| error.or_other_kind(source.kind(), event))
    }

    /// Decodes a Kinesis or DynamoDB Streams event, with no pipeline, into
    /// the records a recording of its stream holds: each record's
    /// [`SourceRecord::original`](super::SourceRecord::original) bytes and
    /// origin are what `tributary record` would have written for it (KPL
    /// aggregates split into their user records; a DynamoDB change's
    /// `dynamodb` object, read whole so that no image is required). This is
    /// how a Lambda event kept elsewhere (an on-failure destination's
    /// `payload`) becomes a recording again. EventBridge events are not
    /// stream batches, and are refused.
    pub fn decode_as_recorded(
        &mut self,
        kind: SourceKind,
        event: &str,
    ) -> Result<DecodedEvent, EventError> {
        match kind {
            SourceKind::Kinesis => kinesis::decode(event, &mut self.buffer),
            SourceKind::DynamodbStreams => dynamodb_streams::decode(event, DynamodbPayload::Change),
            SourceKind::Eventbridge => Err(EventError::WrongShape {
                expected: kind,
                reason: "an EventBridge event is not a batch of stream records".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_without_images_decodes_as_recorded_with_its_dynamodb_object() {
        let event = r#"{"Records":[{"eventName":"MODIFY","eventSourceARN":"arn:aws:dynamodb:us-east-1:1:table/t/stream/s",
            "dynamodb":{"Keys":{"pk":{"S":"a"}},"SequenceNumber":"7","StreamViewType":"KEYS_ONLY","ApproximateCreationDateTime":1795860000}}]}"#;
        let decoded = EventDecoder::new()
            .decode_as_recorded(SourceKind::DynamodbStreams, event)
            .unwrap();
        let [record] = &decoded.records[..] else {
            panic!("one record: {:?}", decoded.records);
        };
        assert!(record.error.is_none(), "{:?}", record.error);
        assert_eq!(
            &record.original()[..],
            br#"{"Keys":{"pk":{"S":"a"}},"SequenceNumber":"7","StreamViewType":"KEYS_ONLY","ApproximateCreationDateTime":1795860000}"#
        );
        assert_eq!(record.origin.event_name.as_deref(), Some("MODIFY"));
        assert_eq!(record.origin.arrival_ms, 1_795_860_000_000);
    }

    #[test]
    fn an_eventbridge_event_is_not_decoded_as_recorded() {
        let error = EventDecoder::new()
            .decode_as_recorded(SourceKind::Eventbridge, "{}")
            .unwrap_err();
        assert!(
            error.to_string().contains("not a batch of stream records"),
            "{error}"
        );
    }
}
