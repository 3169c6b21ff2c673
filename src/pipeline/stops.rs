//! Lambda's rule for a shard: it is redelivered from its first failed
//! record, so nothing after that record is processed now.

use std::collections::HashMap;
use std::sync::Arc;

use tributary_core::{FailedRecord, FailureKind, InputIndex, Origin, Record};

use super::Fate;

/// Per shard, the first input record that is to be retried.
#[derive(Default)]
pub(super) struct ShardStops {
    first_retried: HashMap<Arc<str>, InputIndex>,
}

impl ShardStops {
    /// Notes that `record` is to be retried. Records a processor made (such
    /// as aggregate documents) belong to no input and stop nothing.
    pub(super) fn note(&mut self, record: &Record) {
        if record.input == InputIndex::EMITTED {
            return;
        }
        let stop = self
            .first_retried
            .entry(record.origin.shard.clone())
            .or_insert(record.input);
        *stop = (*stop).min(record.input);
    }

    /// Whether `input` of `shard` comes after the shard's first retried record.
    pub(super) fn is_after_stop(&self, shard: &str, input: InputIndex) -> bool {
        input != InputIndex::EMITTED
            && self
                .first_retried
                .get(shard)
                .is_some_and(|stop| input > *stop)
    }

    /// Splits off the records that come after their shard's stop; they fail
    /// without being processed further.
    pub(super) fn hold_back(&self, records: Vec<Record>) -> (Vec<Record>, Vec<FailedRecord>) {
        if self.first_retried.is_empty() {
            return (records, Vec::new());
        }
        let (held, kept): (Vec<Record>, Vec<Record>) = records
            .into_iter()
            .partition(|record| self.is_after_stop(&record.origin.shard, record.input));
        let stage: Arc<str> = Arc::from("source");
        let held = held
            .into_iter()
            .map(|record| FailedRecord {
                record,
                stage: stage.clone(),
                error: "not processed: an earlier record of its shard failed, and Lambda redelivers the shard from there".into(),
                kind: FailureKind::Transient,
            })
            .collect();
        (kept, held)
    }
}

/// The first failed input record of each shard, in input order: Lambda
/// retries a shard from its lowest failed sequence number, so these are the
/// identifiers it needs.
pub(super) fn first_failed_of_each_shard(
    fates: &[Fate],
    origins: &[Arc<Origin>],
) -> Vec<Arc<Origin>> {
    let mut seen: Vec<&str> = Vec::new();
    let mut first = Vec::new();
    for (fate, origin) in fates.iter().zip(origins) {
        if *fate == Fate::Failed && !seen.contains(&&*origin.shard) {
            seen.push(&origin.shard);
            first.push(origin.clone());
        }
    }
    first
}
