//! `type = "sample"`: keeps one record in N.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{Processor, Record, RecordProcessor, Verdict};

use crate::key::{KeyFields, KeyReader, stable_hash};
use crate::{BuildContext, BuildError, ProcessorConfig};

/// Keeps one record in `rate`, dropping the others (counted as dropped).
///
/// The choice is a hash, not a coin: of the record's shard, sequence and
/// sub-sequence numbers, or with `key`, of the key's values, so records with
/// the same key are kept or dropped together (whole sessions, whole users).
/// A retried record gets the same answer as the first time, and a replay the
/// same as Lambda.
///
/// ```toml
/// [[processors]]
/// type = "sample"
/// rate = 10
/// key = "session_id"
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    /// Keep one record in this many: 1 keeps all. No default.
    pub rate: u32,
    /// The field or fields whose values decide together. Records that have
    /// none of them are decided by their position in the stream. Default:
    /// none.
    #[serde(default)]
    pub key: Option<KeyFields>,
}

struct Sample {
    rate: u64,
    key: Option<KeyReader>,
}

impl ProcessorConfig for SampleConfig {
    const TYPE: &'static str = "sample";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        if self.rate == 0 {
            return Err(BuildError::at("rate", "`rate` must be at least 1")
                .hint("rate = 10 keeps one record in ten"));
        }
        Ok(Box::new(Sample {
            rate: u64::from(self.rate),
            key: self.key.as_ref().map(KeyReader::new),
        }))
    }
}

impl RecordProcessor for Sample {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let hash = match self.key.as_mut().map(|key| key.read(record)) {
            Some(Err(error)) => return Verdict::Fail(error),
            Some(Ok(Some(key))) => stable_hash(key),
            Some(Ok(None)) | None => {
                let origin = &record.origin;
                let position = format!(
                    "{}\u{0}{}\u{0}{:?}",
                    origin.shard, origin.sequence, origin.sub_sequence
                );
                stable_hash(position.as_bytes())
            }
        };
        if hash % self.rate == 0 {
            Verdict::Keep
        } else {
            Verdict::Drop
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::test_support::{batch, build, payloads};

    #[test]
    fn keeps_about_one_in_n_and_the_same_ones_every_time() {
        let mut sample = build("type = \"sample\"\nrate = 10");
        let inputs: Vec<String> = (0..10_000).map(|i| format!("{{\"i\":{i}}}")).collect();
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let mut first = batch(&inputs);
        sample.process(&mut first).unwrap();
        let kept = first.len();
        assert!((900..1100).contains(&kept), "{kept} of 10000");
        assert_eq!(first.dropped() as usize + kept, 10_000);
        let mut again = batch(&inputs);
        sample.process(&mut again).unwrap();
        assert_eq!(
            payloads(&again),
            payloads(&first),
            "a retried record gets the same answer"
        );
    }

    #[test]
    fn records_with_one_key_are_kept_or_dropped_together() {
        let mut sample = build("type = \"sample\"\nrate = 4\nkey = \"session\"");
        let inputs: Vec<String> = (0..4000)
            .map(|i| format!("{{\"session\":\"s{}\",\"i\":{i}}}", i % 200))
            .collect();
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let mut records = batch(&inputs);
        sample.process(&mut records).unwrap();
        let mut per_session = std::collections::BTreeMap::new();
        for payload in payloads(&records) {
            *per_session
                .entry(payload["session"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
        assert!(
            per_session.values().all(|n| *n == 20),
            "whole sessions: {per_session:?}"
        );
        assert!(
            (30..70).contains(&per_session.len()),
            "{} of 200 sessions",
            per_session.len()
        );
    }
}
