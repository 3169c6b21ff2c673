//! Reading a record's chosen fields: from its raw bytes when it has them,
//! else from its parsed tree.

use crate::{BoxError, Payload};

use super::leaf::Number;
use super::{Collected, FieldId, FieldTable, Leaf};

/// The fields a processor reads, and the scratch space to read them.
#[derive(Debug, Default)]
pub struct FieldReader {
    fields: FieldTable,
    collected: Collected,
    /// Per field, the index of its first leaf in `collected`.
    first: Vec<Option<u32>>,
}

/// The fields of one record, as [`FieldReader::read`] found them.
pub struct Fields<'a> {
    collected: &'a Collected,
    raw: &'a [u8],
    first: &'a [Option<u32>],
}

impl FieldReader {
    /// A reader of these dotted paths; their ids are their positions.
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> (Self, Vec<FieldId>) {
        let mut reader = FieldReader::default();
        let ids = paths.into_iter().map(|path| reader.intern(path)).collect();
        reader.seal();
        (reader, ids)
    }

    /// Adds a path before [`FieldReader::seal`].
    pub fn intern(&mut self, path: &str) -> FieldId {
        self.fields.intern(path)
    }

    /// Readies the reader once every path is in.
    pub fn seal(&mut self) {
        self.fields.seal();
    }

    /// Reads the fields of a payload. A payload that is not JSON is an error.
    pub fn read<'a>(&'a mut self, payload: &'a mut Payload) -> Result<Fields<'a>, BoxError> {
        let is_tree = payload.raw().is_none();
        if is_tree {
            let value = payload.json()?;
            self.collected.walk(&self.fields, value)?;
        }
        let payload: &'a Payload = payload;
        let raw = payload.raw().unwrap_or_default();
        if !is_tree {
            self.collected.scan(&self.fields, raw)?;
        }
        self.first.clear();
        self.first.resize(self.fields.len(), None);
        for (index, entry) in self.collected.leaves.iter().enumerate() {
            let slot = &mut self.first[entry.field as usize];
            if slot.is_none() {
                *slot = Some(index as u32);
            }
        }
        Ok(Fields {
            collected: &self.collected,
            raw,
            first: &self.first,
        })
    }
}

impl<'a> Fields<'a> {
    /// A field's value (its first, inside arrays), if the record has it.
    pub fn get(&self, field: FieldId) -> Option<Leaf<'a>> {
        let index = (*self.first.get(field as usize)?)?;
        Some(
            self.collected
                .leaf(self.raw, &self.collected.leaves[index as usize]),
        )
    }

    /// Whether the field's value (its first) lies inside an array: the record
    /// has a list there, not one value.
    pub fn in_array(&self, field: FieldId) -> bool {
        self.first
            .get(field as usize)
            .copied()
            .flatten()
            .is_some_and(|index| {
                let entry = &self.collected.leaves[index as usize];
                !self.collected.trail(entry).is_empty()
            })
    }

    /// Appends the values of `fields` to `key`, each as a tag byte and its
    /// value: `0` absent or null, `1` a string (varint length, bytes), `2` a
    /// number (f64, little-endian: `1` and `1.0` are one key), `3` true,
    /// `4` false.
    pub fn push_key(&self, fields: &[FieldId], key: &mut Vec<u8>) {
        for field in fields {
            push_key_value(key, self.get(*field));
        }
    }
}

/// Appends one value to a key, as [`Fields::push_key`] describes.
pub fn push_key_value(key: &mut Vec<u8>, value: Option<Leaf<'_>>) {
    match value {
        None | Some(Leaf::Null) => key.push(0),
        Some(Leaf::String(bytes)) => {
            key.push(1);
            let mut length = bytes.len() as u64;
            while length >= 0x80 {
                key.push((length as u8) | 0x80);
                length >>= 7;
            }
            key.push(length as u8);
            key.extend_from_slice(bytes);
        }
        Some(Leaf::Number(number)) => {
            key.push(2);
            key.extend_from_slice(&canonical(number).to_le_bytes());
        }
        Some(Leaf::Bool(b)) => key.push(if b { 3 } else { 4 }),
    }
}

/// A number's exact value, with `-0` as `0`.
fn canonical(number: Number<'_>) -> f64 {
    let value = number.exact_value();
    if value == 0.0 { 0.0 } else { value }
}
