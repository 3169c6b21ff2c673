//! Tumbling windows as Lambda runs them, for replay.
//!
//! When the source has `tumbling_window_secs`, Lambda gives each shard's
//! records to windows aligned to the epoch by their arrival time
//! (`approximateArrivalTimestamp`, or for DynamoDB the change's creation
//! time): a window of 60 s holds the records that arrived from one minute's
//! start to the next. An invocation never mixes windows. The state the
//! function returns goes to the next invocation of the same window; when the
//! window is over, Lambda invokes once more with `isFinalInvokeForWindow`
//! and the last state, and no records. A state past 1 MB ends the window
//! early: the final invocation then has `isWindowTerminatedEarly`, and the
//! window's later records start a new window with the same bounds.
//!
//! Replay does the same per shard: a record from a later window first runs
//! the shard's waiting batch in the old window, then the old window's final
//! invocation. At the end of the recording every open window gets its final
//! invocation. Windows close by the records' own arrival times, not the
//! clock, so a replay gives the same windows however fast it runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tributary_core::Window;
use tributary_core::time::rfc3339_millis;

/// Lambda's limit on the state of one shard's window.
pub(super) const MAX_STATE_BYTES: usize = 1024 * 1024;

/// The open window of each shard.
pub(super) struct Windows {
    length_ms: i64,
    open: HashMap<Arc<str>, Open>,
}

struct Open {
    number: i64,
    stream: Arc<str>,
    state: BTreeMap<String, String>,
}

/// What a record's arrival means for its shard's window.
pub(super) enum Arrival {
    /// The record belongs to the shard's open window (opened if need be).
    Same,
    /// The record belongs to a later window: the open one is over.
    Closes,
}

impl Windows {
    pub(super) fn new(length_secs: u32) -> Self {
        Windows {
            length_ms: i64::from(length_secs) * 1000,
            open: HashMap::new(),
        }
    }

    /// Where a record arriving at `arrival_ms` on `shard` goes.
    pub(super) fn arrive(
        &mut self,
        shard: &Arc<str>,
        stream: &Arc<str>,
        arrival_ms: i64,
    ) -> Arrival {
        let number = arrival_ms.div_euclid(self.length_ms);
        match self.open.get(shard) {
            Some(open) if open.number != number => Arrival::Closes,
            Some(_) => Arrival::Same,
            None => {
                self.open.insert(
                    shard.clone(),
                    Open {
                        number,
                        stream: stream.clone(),
                        state: BTreeMap::new(),
                    },
                );
                Arrival::Same
            }
        }
    }

    /// The window for an invocation of `shard`'s open window.
    pub(super) fn invocation(
        &self,
        shard: &str,
        is_final: bool,
        terminated_early: bool,
    ) -> Option<Window> {
        let open = self.open.get(shard)?;
        let start = open.number * self.length_ms;
        Some(Window {
            state: open.state.clone(),
            is_final,
            terminated_early,
            ..Window::new(
                &*open.stream,
                shard,
                rfc3339_millis(start),
                rfc3339_millis(start + self.length_ms),
            )
        })
    }

    /// Keeps the state an invocation returned; gives whether it is past
    /// Lambda's limit, so the window must end early.
    pub(super) fn keep(&mut self, shard: &str, window: Window) -> bool {
        let too_big = window.state_bytes() > MAX_STATE_BYTES;
        if let Some(open) = self.open.get_mut(shard) {
            open.state = window.state;
        }
        too_big
    }

    /// Starts a shard's window afresh, with the same bounds, after it ended
    /// early.
    pub(super) fn restart(&mut self, shard: &str) {
        if let Some(open) = self.open.get_mut(shard) {
            open.state.clear();
        }
    }

    /// Closes a shard's window (after its final invocation).
    pub(super) fn close(&mut self, shard: &str) {
        self.open.remove(shard);
    }

    /// The shards with an open window, in a stable order.
    pub(super) fn open_shards(&self) -> Vec<Arc<str>> {
        let mut shards: Vec<Arc<str>> = self.open.keys().cloned().collect();
        shards.sort();
        shards
    }
}
