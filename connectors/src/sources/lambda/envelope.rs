//! The part of Kinesis and DynamoDB Streams events around the records: the
//! tumbling window's properties, when the event source mapping has one.

use std::collections::BTreeMap;

use serde::Deserialize;

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

/// A tumbling window, as Lambda describes it to one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TumblingWindow {
    /// When the window starts (RFC 3339, as Lambda writes it).
    pub start: String,
    /// When the window ends.
    pub end: String,
    /// The state the previous invocation of this window returned.
    pub state: BTreeMap<String, String>,
    /// Whether this is the window's last invocation: its records are the
    /// last, and the state returned is final.
    pub is_final_invoke: bool,
    /// Whether the window ended before its time, because the shard was
    /// resharded or the state grew past Lambda's limit.
    pub terminated_early: bool,
}

impl<R> Envelope<R> {
    /// The window this invocation belongs to, if any.
    pub(super) fn take_window(&mut self) -> Option<TumblingWindow> {
        let range = self.window.take()?;
        Some(TumblingWindow {
            start: range.start,
            end: range.end,
            state: self.state.take().unwrap_or_default(),
            is_final_invoke: self.is_final_invoke_for_window,
            terminated_early: self.is_window_terminated_early,
        })
    }
}
