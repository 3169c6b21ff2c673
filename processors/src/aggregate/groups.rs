//! Groups: the records that share the values of the `group_by` fields.
//!
//! A group's key is its values, encoded by `Fields::push_key` (a tag byte
//! and the value, for each `group_by` field in order). The key is what the
//! state stores, and the values of a document are read back from it.

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::metric::{Accumulator, number_json};
use super::state::Reader;

/// One group's running values.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) key: Box<[u8]>,
    pub(super) records: u64,
    pub(super) accumulators: Vec<Accumulator>,
}

/// The groups of a window, by key.
#[derive(Debug, Default)]
pub(super) struct Groups {
    index: FxHashMap<Box<[u8]>, u32>,
    groups: Vec<Group>,
}

impl Groups {
    pub(super) fn len(&self) -> usize {
        self.groups.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter()
    }

    /// The group with this key, made with `accumulators` if it is new.
    pub(super) fn entry(
        &mut self,
        key: &[u8],
        accumulators: impl FnOnce() -> Vec<Accumulator>,
    ) -> &mut Group {
        let index = match self.index.get(key) {
            Some(index) => *index as usize,
            None => {
                let key: Box<[u8]> = key.into();
                self.index.insert(key.clone(), self.groups.len() as u32);
                self.groups.push(Group {
                    key,
                    records: 0,
                    accumulators: accumulators(),
                });
                self.groups.len() - 1
            }
        };
        &mut self.groups[index]
    }

    /// Puts back a group read from the state.
    pub(super) fn restore(&mut self, key: &[u8], records: u64, accumulators: Vec<Accumulator>) {
        let group = self.entry(key, || accumulators);
        group.records = records;
    }
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
