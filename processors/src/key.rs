//! The key a keyed processor (sample, dedupe, throttle) reads from each
//! record: the values of one or more fields.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{BoxError, Record};

use tributary_core::json::{FieldId, FieldReader};

/// One field (`"user_id"`) or several (`["user_id", "page"]`), as dotted paths.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum KeyFields {
    /// One field.
    One(String),
    /// Several fields; the key is their values together.
    Many(Vec<String>),
}

impl KeyFields {
    fn paths(&self) -> Vec<&str> {
        match self {
            KeyFields::One(path) => vec![path.as_str()],
            KeyFields::Many(paths) => paths.iter().map(String::as_str).collect(),
        }
    }
}

/// Reads keys, reusing its buffers from record to record.
#[derive(Debug)]
pub(crate) struct KeyReader {
    reader: FieldReader,
    fields: Vec<FieldId>,
    key: Vec<u8>,
}

impl KeyReader {
    pub(crate) fn new(fields: &KeyFields) -> Self {
        let (reader, fields) = FieldReader::new(fields.paths());
        KeyReader {
            reader,
            fields,
            key: Vec::new(),
        }
    }

    /// The record's key (the fields' values, encoded), or `None` when it has
    /// none of the fields. A payload that is not JSON is an error.
    pub(crate) fn read(&mut self, record: &mut Record) -> Result<Option<&[u8]>, BoxError> {
        let fields = self.reader.read(&mut record.payload)?;
        self.key.clear();
        fields.push_key(&self.fields, &mut self.key);
        // Each absent field is the single byte 0.
        let none = self.key.len() == self.fields.len() && self.key.iter().all(|b| *b == 0);
        Ok((!none).then_some(&self.key[..]))
    }
}

/// A stable 64-bit hash (XXH3), the same in every process and version.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}
