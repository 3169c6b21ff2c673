//! Tumbling windows: the time window an invocation belongs to, and the state
//! that Lambda carries from one invocation of the window to the next.

use std::collections::BTreeMap;

/// The tumbling window of one invocation, as Lambda describes it (or as
/// replay emulates it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// The stream (or table stream) ARN.
    pub stream: String,
    /// The shard the window is of: Lambda keeps window state per shard.
    pub shard: String,
    /// When the window starts, RFC 3339 (`2026-11-28T10:00:00Z`).
    pub start: String,
    /// When the window ends.
    pub end: String,
    /// The state the previous invocation of this window returned; the
    /// processors update it, and it is returned to Lambda. Lambda limits it
    /// to 1 MB per shard.
    pub state: BTreeMap<String, String>,
    /// Whether this is the window's last invocation: whatever the state
    /// holds is final and should be emitted.
    pub is_final: bool,
    /// Whether the window ended before its time (a reshard, or state past
    /// Lambda's limit).
    pub terminated_early: bool,
}

impl Window {
    /// A window of `shard` from `start` to `end` (RFC 3339), with no state
    /// yet, not final.
    pub fn new(
        stream: impl Into<String>,
        shard: impl Into<String>,
        start: impl Into<String>,
        end: impl Into<String>,
    ) -> Self {
        Window {
            stream: stream.into(),
            shard: shard.into(),
            start: start.into(),
            end: end.into(),
            ..Window::default()
        }
    }

    /// The size of the state as Lambda counts it, roughly: the bytes of its
    /// keys and values.
    pub fn state_bytes(&self) -> usize {
        self.state.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}
