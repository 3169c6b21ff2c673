//! The aggregate's state in Lambda's window state: a compact binary encoding,
//! base64 in one entry of the state map.
//!
//! ```text
//! version      u8 (1)
//! fingerprint  u64 LE: the hash of the aggregate's settings; a state made
//!              under other settings is not read (the window starts afresh)
//! partials     varint: partial emissions so far in this window
//! groups       varint, then each group:
//!   key        varint length, bytes (the group values, see groups.rs)
//!   records    varint
//!   metrics    each metric's accumulator, in the order of the settings
//! ```
//!
//! Varints are LEB128; signed ones zigzag first.

use base64::Engine as _;

use super::encoding::{Reader, put_varint};
use super::groups::Groups;
use super::metric::{Accumulator, Metric};

const VERSION: u8 = 1;

/// What an aggregate keeps between the invocations of a window.
#[derive(Debug, Default)]
pub(super) struct WindowState {
    /// How many times partial documents were emitted in this window.
    pub(super) partials: u64,
    pub(super) groups: Groups,
}

impl WindowState {
    /// The state as the text stored in Lambda's state map.
    pub(super) fn encode(&self, fingerprint: u64) -> String {
        let mut out = Vec::with_capacity(64 + self.groups.len() * 32);
        out.push(VERSION);
        out.extend_from_slice(&fingerprint.to_le_bytes());
        put_varint(&mut out, self.partials);
        put_varint(&mut out, self.groups.len() as u64);
        for group in self.groups.iter() {
            put_varint(&mut out, group.key.len() as u64);
            out.extend_from_slice(group.key);
            put_varint(&mut out, group.records);
            for accumulator in group.accumulators {
                accumulator.encode(&mut out);
            }
        }
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// Reads a state that [`WindowState::encode`] wrote with the same
    /// settings; `None` when it is not one.
    pub(super) fn decode(text: &str, fingerprint: u64, metrics: &[Metric]) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        let mut input = Reader::new(&bytes);
        if input.byte()? != VERSION {
            return None;
        }
        if u64::from_le_bytes(input.bytes(8)?.try_into().ok()?) != fingerprint {
            return None;
        }
        let mut state = WindowState {
            partials: input.varint()?,
            groups: Groups::default(),
        };
        let count = input.varint()?;
        for _ in 0..count {
            let length = usize::try_from(input.varint()?).ok()?;
            let key = input.bytes(length)?;
            let records = input.varint()?;
            let accumulators = metrics
                .iter()
                .map(|metric| Accumulator::decode(metric, &mut input))
                .collect::<Option<Vec<_>>>()?;
            state.groups.restore(key, records, accumulators);
        }
        input.is_empty().then_some(state)
    }
}
