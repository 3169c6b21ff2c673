//! Lambda's rule for a shard, in one place: a batch's failures are reported
//! by sequence number, and Lambda redelivers the shard from the lowest one,
//! so nothing of a shard after its first retried record is processed now.
//!
//! The [`Batch`](crate::Batch) keeps the stops while processors run (an
//! aggregate asks it before folding a record), and the runtime keeps using
//! them through delivery and the error policy: one ledger, one rule.

use std::collections::HashMap;
use std::sync::Arc;

use crate::{FailedRecord, FailureKind, HeldBack, InputIndex, Origin, Record};

/// Per shard, where Lambda will redeliver from.
///
/// A stop is the first input of the retried record's sequence number: the
/// user records of a KPL aggregate share theirs, and Lambda redelivers them
/// all. Inputs whose origins were not registered (records built directly in
/// tests) stand for their own sequence number.
#[derive(Debug, Default, Clone)]
pub struct ShardStops {
    first_retried: HashMap<Arc<str>, InputIndex>,
    /// For each registered input, the first input with its sequence number.
    sequence_start: Vec<InputIndex>,
    /// The last registered input's shard and sequence number.
    last: Option<Arc<Origin>>,
}

impl ShardStops {
    /// Registers the next input of the batch, in input order; gives its index.
    pub fn add_input(&mut self, origin: &Arc<Origin>) -> InputIndex {
        let index = InputIndex(self.sequence_start.len() as u32);
        let start = match (&self.last, self.sequence_start.last()) {
            (Some(last), Some(start))
                if last.sequence == origin.sequence && last.shard == origin.shard =>
            {
                *start
            }
            _ => index,
        };
        self.sequence_start.push(start);
        self.last = Some(origin.clone());
        index
    }

    /// Notes that `record` is to be retried. Records a processor made (such
    /// as aggregate documents) belong to no input and stop nothing.
    pub fn stop_at(&mut self, record: &Record) {
        if record.input == InputIndex::EMITTED {
            return;
        }
        let start = self
            .sequence_start
            .get(record.input.0 as usize)
            .copied()
            .unwrap_or(record.input);
        let stop = self
            .first_retried
            .entry(record.origin.shard.clone())
            .or_insert(start);
        *stop = (*stop).min(start);
    }

    /// Whether Lambda redelivers `input` of `shard`: it is at or after the
    /// shard's stop.
    pub fn is_after_stop(&self, shard: &str, input: InputIndex) -> bool {
        input != InputIndex::EMITTED
            && self
                .first_retried
                .get(shard)
                .is_some_and(|stop| input >= *stop)
    }

    /// Whether no shard is stopped.
    pub fn is_empty(&self) -> bool {
        self.first_retried.is_empty()
    }

    /// Splits off the records that come after their shard's stop: they fail
    /// for retry ([`HeldBack`]) without being processed further.
    pub fn hold_back(&self, records: Vec<Record>) -> (Vec<Record>, Vec<FailedRecord>) {
        if self.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Payload, SourceKind};

    fn origin(shard: &str, sequence: &str) -> Arc<Origin> {
        Arc::new(Origin::new(SourceKind::Kinesis, "s", shard, sequence))
    }

    fn record(origin: &Arc<Origin>, input: u32) -> Record {
        Record::new(origin.clone(), Payload::from_bytes("{}"), InputIndex(input))
    }

    #[test]
    fn a_kpl_user_record_stops_its_shard_from_its_aggregate() {
        let mut stops = ShardStops::default();
        let origins = [
            origin("a", "1"),
            origin("a", "2"),
            origin("a", "2"),
            origin("b", "2"),
            origin("a", "3"),
        ];
        for origin in &origins {
            stops.add_input(origin);
        }
        // The second user record of aggregate "2" fails: Lambda redelivers
        // the whole aggregate, so its first user record is held back too.
        stops.stop_at(&record(&origins[2], 2));
        let after: Vec<bool> = origins
            .iter()
            .enumerate()
            .map(|(i, o)| stops.is_after_stop(&o.shard, InputIndex(i as u32)))
            .collect();
        assert_eq!(after, [false, true, true, false, true]);
        // A later stop of the same shard does not move it forward.
        stops.stop_at(&record(&origins[4], 4));
        assert!(stops.is_after_stop("a", InputIndex(1)));
    }

    #[test]
    fn records_a_processor_made_stop_nothing_and_are_never_held() {
        let mut stops = ShardStops::default();
        let made = origin("a", "1");
        stops.stop_at(&record(&made, InputIndex::EMITTED.0));
        assert!(stops.is_empty());
        stops.stop_at(&record(&made, 0));
        assert!(!stops.is_after_stop("a", InputIndex::EMITTED));
        let (kept, held) =
            stops.hold_back(vec![record(&made, InputIndex::EMITTED.0), record(&made, 3)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(held[0].record.input, InputIndex(3));
        assert_eq!(held[0].kind, FailureKind::Transient);
    }
}
