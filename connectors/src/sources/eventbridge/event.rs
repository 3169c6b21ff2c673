//! EventBridge events: one event an invocation, the whole event the payload.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use serde_json::value::RawValue;
use tributary_core::{Origin, SourceKind};

use super::EventbridgeSourceConfig;
use crate::sources::SourceRecord;
use crate::sources::event::{DecodedEvent, EventError, wrong_shape};

pub(in crate::sources) fn decode(
    event: &str,
    config: &EventbridgeSourceConfig,
) -> Result<DecodedEvent, EventError> {
    let parsed = serde_json::from_str::<EventBridgeEvent<Box<RawValue>>>(event)
        .map_err(|error| wrong_shape(SourceKind::Eventbridge, error))?;
    let bus: Arc<str> = Arc::from(config.event_bus.as_str());
    let mut origin = Origin::new(
        SourceKind::Eventbridge,
        bus.clone(),
        bus,
        parsed.id.unwrap_or_default(),
    );
    origin.arrival_ms = parsed.time.map_or(0, |time| time.timestamp_millis());
    let record = SourceRecord {
        origin,
        data: Bytes::copy_from_slice(event.trim().as_bytes()),
        data_is_json: true,
        error: None,
        raw: None,
    };
    Ok(DecodedEvent {
        records: vec![record],
        window: None,
    })
}
