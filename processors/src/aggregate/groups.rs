//! Groups: the records that share the values of the `group_by` fields.
//!
//! A group's key is its values, encoded by `Fields::push_key` (a tag byte
//! and the value, for each `group_by` field in order). The key is what the
//! state stores, and the values of a document are read back from it.

use std::hash::Hasher as _;

use hashbrown::HashTable;
use rustc_hash::FxHasher;
use serde_json::Value;

use super::encoding::Reader;
use super::metric::{Accumulator, number_json};

/// One group, as [`Groups::iter`] shows it.
pub(super) struct Group<'a> {
    pub(super) key: &'a [u8],
    pub(super) records: u64,
    pub(super) accumulators: &'a [Accumulator],
}

/// One group, for folding a record into it.
pub(super) struct GroupMut<'a> {
    pub(super) records: &'a mut u64,
    pub(super) accumulators: &'a mut [Accumulator],
}

/// The groups of a window, by key. Everything is in flat vectors, a group
/// at one position in each: with thousands of groups, a record's fold then
/// touches few cache lines.
#[derive(Debug, Default)]
pub(super) struct Groups {
    /// Positions, by the hash of their key.
    index: HashTable<u32>,
    /// Every key, end to end, and where each is.
    keys: Vec<u8>,
    spans: Vec<(u32, u32)>,
    records: Vec<u64>,
    /// `metrics` accumulators a group, in order.
    accumulators: Vec<Accumulator>,
    metrics: usize,
}

impl Groups {
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    fn key(&self, at: usize) -> &[u8] {
        let (start, length) = self.spans[at];
        &self.keys[start as usize..(start + length) as usize]
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = Group<'_>> {
        (0..self.len()).map(|at| Group {
            key: self.key(at),
            records: self.records[at],
            accumulators: &self.accumulators[at * self.metrics..(at + 1) * self.metrics],
        })
    }

    /// The group with this key, made with `accumulators` if it is new.
    pub(super) fn entry(
        &mut self,
        key: &[u8],
        accumulators: impl FnOnce() -> Vec<Accumulator>,
    ) -> GroupMut<'_> {
        let hash = hash_key(key);
        let found = self
            .index
            .find(hash, |&at| same_key(self.key(at as usize), key))
            .copied();
        let at = match found {
            Some(at) => at as usize,
            None => {
                let new = accumulators();
                self.metrics = new.len();
                self.accumulators.extend(new);
                self.spans.push((self.keys.len() as u32, key.len() as u32));
                self.keys.extend_from_slice(key);
                self.records.push(0);
                let at = self.spans.len() - 1;
                let (keys, spans) = (&self.keys, &self.spans);
                self.index.insert_unique(hash, at as u32, |&other| {
                    let (start, length) = spans[other as usize];
                    hash_key(&keys[start as usize..(start + length) as usize])
                });
                at
            }
        };
        GroupMut {
            records: &mut self.records[at],
            accumulators: &mut self.accumulators[at * self.metrics..(at + 1) * self.metrics],
        }
    }

    /// Puts back a group read from the state.
    pub(super) fn restore(&mut self, key: &[u8], records: u64, accumulators: Vec<Accumulator>) {
        let group = self.entry(key, || accumulators);
        *group.records = records;
    }
}

fn hash_key(key: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(key);
    hasher.finish()
}

/// Key equality, eight bytes at a time: keys are short, and a call to
/// `memcmp` costs more than the comparison.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    a_words
        .iter()
        .zip(b_words)
        .all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
        && a_rest.iter().zip(b_rest).all(|(x, y)| x == y)
}

/// The group values a key holds, in `group_by` order.
pub(super) fn key_values(key: &[u8]) -> Vec<Value> {
    let mut input = Reader::new(key);
    let mut values = Vec::new();
    while let Some(tag) = input.byte() {
        let value = match tag {
            1 => input
                .varint()
                .and_then(|length| input.bytes(usize::try_from(length).ok()?))
                .map(|bytes| Value::String(String::from_utf8_lossy(bytes).into_owned())),
            2 => input.f64().map(number_json),
            3 => Some(Value::Bool(true)),
            4 => Some(Value::Bool(false)),
            _ => Some(Value::Null),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    values
}
