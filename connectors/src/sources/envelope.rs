//! The part of Kinesis and DynamoDB Streams events around the records: the
//! tumbling window's properties, when the event source mapping has one.

use std::collections::BTreeMap;

use serde::Deserialize;
use tributary_core::Window;

/// The top level of a stream event: its records, and the window properties
/// that Lambda adds when the event source mapping has a tumbling window.
#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de>"))]
pub(super) struct Envelope<R> {
    #[serde(rename = "Records")]
    pub(super) records: Vec<R>,
    #[serde(default)]
    window: Option<WindowRange>,
    #[serde(default)]
    state: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "shardId")]
    pub(super) shard_id: Option<String>,
    #[serde(default, rename = "eventSourceARN")]
    event_source_arn: Option<String>,
    #[serde(default, rename = "isFinalInvokeForWindow")]
    is_final_invoke_for_window: bool,
    #[serde(default, rename = "isWindowTerminatedEarly")]
    is_window_terminated_early: bool,
}

#[derive(Deserialize)]
struct WindowRange {
    start: String,
    end: String,
}

impl<R> Envelope<R> {
    /// The window this invocation belongs to, if any.
    pub(super) fn take_window(&mut self) -> Option<Window> {
        let range = self.window.take()?;
        Some(Window {
            stream: self.event_source_arn.clone().unwrap_or_default(),
            shard: self.shard_id.clone().unwrap_or_default(),
            start: range.start,
            end: range.end,
            state: self.state.take().unwrap_or_default(),
            is_final: self.is_final_invoke_for_window,
            terminated_early: self.is_window_terminated_early,
        })
    }
}
