//! Lambda's rule for a shard: it is redelivered from its first failed
//! record, so nothing after that record is processed now.

use std::collections::HashMap;
use std::sync::Arc;

use tributary_core::{FailedRecord, FailureKind, HeldBack, InputIndex, Origin, Record};

use super::Fate;

/// Per shard, where Lambda will redeliver from: the first input record of
/// the first retried record's sequence number (the user records of a KPL
/// aggregate share theirs, and Lambda redelivers them all).
pub(super) struct ShardStops {
    first_retried: HashMap<Arc<str>, InputIndex>,
    /// For each input, the first input with its sequence number.
    sequence_start: Vec<InputIndex>,
}

impl ShardStops {
    /// Stops for a batch whose inputs have these origins, in order.
    pub(super) fn new(origins: &[Arc<Origin>]) -> Self {
        let mut sequence_start = Vec::with_capacity(origins.len());
        for (index, origin) in origins.iter().enumerate() {
            let start = match index.checked_sub(1) {
                Some(previous)
                    if origins[previous].sequence == origin.sequence
                        && origins[previous].shard == origin.shard =>
                {
                    sequence_start[previous]
                }
                _ => InputIndex(index as u32),
            };
            sequence_start.push(start);
        }
        ShardStops {
            first_retried: HashMap::new(),
            sequence_start,
        }
    }

    /// Notes that `record` is to be retried. Records a processor made (such
    /// as aggregate documents) belong to no input and stop nothing.
    pub(super) fn note(&mut self, record: &Record) {
        let Some(start) = self.sequence_start.get(record.input.0 as usize).copied() else {
            return;
        };
        let stop = self
            .first_retried
            .entry(record.origin.shard.clone())
            .or_insert(start);
        *stop = (*stop).min(start);
    }

    /// Whether Lambda redelivers `input` of `shard`: it is at or after the
    /// shard's stop.
    pub(super) fn is_after_stop(&self, shard: &str, input: InputIndex) -> bool {
        input != InputIndex::EMITTED
            && self
                .first_retried
                .get(shard)
                .is_some_and(|stop| input >= *stop)
    }

    /// Whether nothing is stopped yet.
    pub(super) fn is_empty(&self) -> bool {
        self.first_retried.is_empty()
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
                error: Box::new(HeldBack),
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
