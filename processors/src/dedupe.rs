//! `type = "dedupe"`: one record per key in a batch.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{Batch, BoxError, Processor};

use crate::key::{KeyFields, KeyReader};
use crate::{BuildContext, BuildError, ProcessorConfig};

/// Keeps one record per key within a batch (one invocation), the first or
/// the last, and drops the others (counted as dropped). Records that have
/// none of the key's fields are all kept. Duplicates across batches are not
/// seen: Lambda's at-least-once delivery can still repeat a record in a later
/// invocation, so make the sink idempotent (document ids) where that matters.
///
/// ```toml
/// [[processors]]
/// type = "dedupe"
/// key = "event_id"
/// keep = "last"
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DedupeConfig {
    /// The field or fields whose values identify a record. No default.
    pub key: KeyFields,
    /// Which of the records with one key stays: `first` (the default) or
    /// `last`, in stream order.
    #[serde(default)]
    pub keep: Keep,
}

/// Which duplicate stays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The first in stream order.
    #[default]
    First,
    /// The last in stream order.
    Last,
}

struct Dedupe {
    key: KeyReader,
    keep: Keep,
}

impl ProcessorConfig for DedupeConfig {
    const TYPE: &'static str = "dedupe";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(Dedupe {
            key: KeyReader::new(&self.key),
            keep: self.keep,
        }))
    }
}

impl Processor for Dedupe {
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        let mut records = batch.take_records();
        // The position that stays for each key.
        let mut chosen: HashMap<Vec<u8>, usize> = HashMap::with_capacity(records.len());
        let mut keyed = vec![false; records.len()];
        let mut errors = Vec::new();
        for (index, record) in records.iter_mut().enumerate() {
            match self.key.read(record) {
                Ok(Some(key)) => {
                    keyed[index] = true;
                    match chosen.get_mut(key) {
                        Some(position) if self.keep == Keep::Last => *position = index,
                        Some(_) => {}
                        None => {
                            chosen.insert(key.to_vec(), index);
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => errors.push((index, error)),
            }
        }
        let mut stays = vec![false; records.len()];
        for position in chosen.into_values() {
            stays[position] = true;
        }
        let mut errors = errors.into_iter().peekable();
        let mut dropped = 0;
        for (index, record) in records.into_iter().enumerate() {
            if errors.peek().is_some_and(|(at, _)| *at == index) {
                let (_, error) = errors.next().expect("peeked");
                batch.fail(record, error);
            } else if !keyed[index] || stays[index] {
                batch.push(record);
            } else {
                dropped += 1;
            }
        }
        batch.count_dropped(dropped);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::test_support::{batch, build, payloads};

    const INPUTS: [&str; 6] = [
        r#"{"id":1,"v":"a"}"#,
        r#"{"id":2,"v":"b"}"#,
        r#"{"id":1,"v":"c"}"#,
        r#"{"v":"no id"}"#,
        r#"{"v":"no id either"}"#,
        r#"{"id":1.0,"v":"d"}"#,
    ];

    #[test]
    fn keeps_the_first_or_the_last_of_each_key() {
        let mut first = build("type = \"dedupe\"\nkey = \"id\"");
        let mut records = batch(&INPUTS);
        first.process(&mut records).unwrap();
        let values: Vec<_> = payloads(&records).iter().map(|p| p["v"].clone()).collect();
        assert_eq!(
            values,
            [
                json!("a"),
                json!("b"),
                json!("no id"),
                json!("no id either")
            ]
        );
        assert_eq!(records.dropped(), 2);

        let mut last = build("type = \"dedupe\"\nkey = [\"id\"]\nkeep = \"last\"");
        let mut records = batch(&INPUTS);
        last.process(&mut records).unwrap();
        let values: Vec<_> = payloads(&records).iter().map(|p| p["v"].clone()).collect();
        assert_eq!(
            values,
            [
                json!("b"),
                json!("no id"),
                json!("no id either"),
                json!("d")
            ]
        );
    }
}
