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

/// Appends `value` as a LEB128 varint.
pub(super) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a signed value, zigzag-encoded.
pub(super) fn put_zigzag(out: &mut Vec<u8>, value: i64) {
    put_varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// Reads what the `put_` functions wrote; every read is checked.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(super) fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(*first)
    }

    pub(super) fn bytes(&mut self, count: usize) -> Option<&'a [u8]> {
        if count > self.bytes.len() {
            return None;
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Some(taken)
    }

    pub(super) fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    pub(super) fn zigzag(&mut self) -> Option<i64> {
        let raw = self.varint()?;
        Some((raw >> 1) as i64 ^ -((raw & 1) as i64))
    }

    pub(super) fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut out = Vec::new();
        for value in [0u64, 1, 127, 128, 300, u64::MAX] {
            put_varint(&mut out, value);
        }
        for value in [0i64, -1, 1, -300, i64::MIN, i64::MAX] {
            put_zigzag(&mut out, value);
        }
        let mut input = Reader::new(&out);
        for value in [0u64, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(input.varint(), Some(value));
        }
        for value in [0i64, -1, 1, -300, i64::MIN, i64::MAX] {
            assert_eq!(input.zigzag(), Some(value));
        }
        assert!(input.is_empty());
        assert_eq!(Reader::new(&[0x80]).varint(), None);
    }
}
