//! A batch of records and the ledger of what happened to each.

use std::fmt;
use std::sync::Arc;

use crate::{BoxError, ErrorPolicy, InputIndex, Origin, Record, ShardStops, Window};

/// What a per-record processor decided for one record.
#[derive(Debug)]
pub enum Verdict {
    /// Keep the record in the batch.
    Keep,
    /// Drop the record on purpose. It is counted, not failed.
    Drop,
    /// The record cannot be processed. It leaves the batch and is handled by
    /// the pipeline's `on_error` policy.
    Fail(BoxError),
}

/// Why a record failed, which decides what the runtime does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The record itself is at fault (undecodable payload, a processor error).
    /// The pipeline's `on_error` policy decides: retry, skip or dead-letter.
    Record,
    /// A sink rejected the record for good (for example, a mapping error).
    /// It goes to the dead-letter sink if there is one, else it is retried.
    Rejected,
    /// A sink could not deliver it this time (throttling, a timeout). It is
    /// always reported as failed so that Lambda retries it.
    Transient,
}

/// The error of a record held back because an earlier record of its shard
/// failed for retry: Lambda redelivers the shard from there, so the record
/// is not processed now. It is its shard's fault, not the record's, and
/// logs name the earlier failure instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "not processed: an earlier record of its shard failed, and Lambda redelivers the shard from there"
)]
pub struct HeldBack;

/// A record that left the batch with an error.
#[derive(Debug)]
pub struct FailedRecord {
    /// The record as it was when it failed.
    pub record: Record,
    /// The component that failed it: a processor id or a sink name.
    pub stage: Arc<str>,
    /// What went wrong.
    pub error: BoxError,
    /// What kind of failure it is.
    pub kind: FailureKind,
}

impl fmt::Display for FailedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.stage, self.error, self.record.origin)
    }
}

/// The records of one invocation, as they pass through the processors.
///
/// Records leave a batch in exactly one of three ways: they stay to the end,
/// are dropped on purpose (counted in [`Batch::dropped`]), or fail (kept with
/// their error in [`Batch::failed`]). A failure the [`ErrorPolicy`] retries
/// stops its shard ([`ShardStops`]): the shard's later records are held back.
#[derive(Debug, Default)]
pub struct Batch {
    records: Vec<Record>,
    failed: Vec<FailedRecord>,
    dropped: u64,
    absorbed: Vec<InputIndex>,
    window: Option<Window>,
    stage: Option<Arc<str>>,
    /// The inputs' origins, by input index, for those registered with
    /// [`Batch::add_input`].
    origins: Vec<Arc<Origin>>,
    policy: ErrorPolicy,
    stops: ShardStops,
}

/// What is left of a batch once the processors are done.
#[derive(Debug, Default)]
pub struct BatchParts {
    /// The records left, for the sinks.
    pub records: Vec<Record>,
    /// The records that failed.
    pub failed: Vec<FailedRecord>,
    /// The inputs of the records folded into aggregates.
    pub absorbed: Vec<InputIndex>,
    /// The tumbling window, with the state as the processors left it.
    pub window: Option<Window>,
    /// The inputs' origins, by input index.
    pub origins: Vec<Arc<Origin>>,
    /// Where each shard is redelivered from, so far.
    pub stops: ShardStops,
}

impl Batch {
    /// A batch of these records.
    pub fn new(records: Vec<Record>) -> Self {
        Batch {
            records,
            ..Batch::default()
        }
    }

    /// The records still in the batch, in order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records still in the batch, for changing them in place.
    pub fn records_mut(&mut self) -> &mut [Record] {
        &mut self.records
    }

    /// How many records are still in the batch.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no records are left in the batch.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many records processors dropped on purpose.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The records that failed so far.
    pub fn failed(&self) -> &[FailedRecord] {
        &self.failed
    }

    /// Applies `decide` to each record in order, keeping, dropping or failing it.
    pub fn apply(&mut self, mut decide: impl FnMut(&mut Record) -> Verdict) {
        let records = std::mem::take(&mut self.records);
        self.records.reserve(records.len());
        for mut record in records {
            match decide(&mut record) {
                Verdict::Keep => self.records.push(record),
                Verdict::Drop => self.dropped += 1,
                Verdict::Fail(error) => self.fail(record, error),
            }
        }
    }

    /// Adds a record, such as one a windowed processor emits.
    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Takes every record out of the batch, for a processor that folds them.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// Takes a record out of the batch for good because it was folded into an
    /// aggregate (window state or an emitted document): it counts as
    /// aggregated, not dropped.
    pub fn absorb(&mut self, record: Record) {
        self.absorbed.push(record.input);
    }

    /// The tumbling window of the invocation, if it has one.
    pub fn window(&self) -> Option<&Window> {
        self.window.as_ref()
    }

    /// The tumbling window, for a processor that updates its state.
    pub fn window_mut(&mut self) -> Option<&mut Window> {
        self.window.as_mut()
    }

    /// Sets the invocation's tumbling window.
    pub fn set_window(&mut self, window: Option<Window>) {
        self.window = window;
    }

    /// Counts `count` records as dropped on purpose, for a processor that
    /// took them out with [`Batch::take_records`] and does not put them back.
    pub fn count_dropped(&mut self, count: u64) {
        self.dropped += count;
    }

    /// Fails a record with a record-level error, attributed to the current stage.
    pub fn fail(&mut self, record: Record, error: BoxError) {
        self.fail_with(record, error, FailureKind::Record);
    }

    /// Fails a record with the given kind of failure. One the error policy
    /// retries stops its shard.
    pub fn fail_with(&mut self, record: Record, error: BoxError, kind: FailureKind) {
        if self.policy.retries(kind) {
            self.stops.stop_at(&record);
        }
        let stage = self.stage.clone().unwrap_or_else(|| Arc::from("pipeline"));
        self.failed.push(FailedRecord {
            record,
            stage,
            error,
            kind,
        });
    }

    /// Sets the pipeline's error policy, which decides which failures stop
    /// their shard. By default, only transient failures do.
    pub fn set_error_policy(&mut self, policy: ErrorPolicy) {
        self.policy = policy;
    }

    /// Registers the next input record, in input order, so that the shard
    /// stops know its sequence number; gives its index.
    pub fn add_input(&mut self, origin: Arc<Origin>) -> InputIndex {
        let index = self.stops.add_input(&origin);
        self.origins.push(origin);
        index
    }

    /// Whether an earlier record of `record`'s shard failed for retry in
    /// this batch: Lambda redelivers the shard from there, so a processor
    /// that keeps state (an aggregate) must not take this record into it.
    pub fn is_stopped(&self, record: &Record) -> bool {
        self.stops.is_after_stop(&record.origin.shard, record.input)
    }

    /// Fails, for retry, the records after their shard's stop: Lambda
    /// delivers them again, so they are not processed now.
    pub fn hold_back(&mut self) {
        if self.stops.is_empty() {
            return;
        }
        let (kept, held) = self.stops.hold_back(std::mem::take(&mut self.records));
        self.records = kept;
        self.failed.extend(held);
    }

    /// Names the component now working on the batch, so its failures carry its name.
    pub fn set_stage(&mut self, stage: Arc<str>) {
        self.stage = Some(stage);
    }

    /// Splits the batch into what the sinks get and the ledger.
    pub fn into_parts(self) -> BatchParts {
        BatchParts {
            records: self.records,
            failed: self.failed,
            absorbed: self.absorbed,
            window: self.window,
            origins: self.origins,
            stops: self.stops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InputIndex, Origin, Payload, SourceKind};

    fn record(n: u32) -> Record {
        let origin = Origin::new(SourceKind::Kinesis, "s", "shard-0", n.to_string());
        Record::new(origin, Payload::from_bytes(n.to_string()), InputIndex(n))
    }

    #[test]
    fn apply_accounts_for_every_record() {
        let mut batch = Batch::new((0..10).map(record).collect());
        batch.set_stage(Arc::from("odd"));
        batch.apply(|r| match r.input.0 % 3 {
            0 => Verdict::Keep,
            1 => Verdict::Drop,
            _ => Verdict::Fail("two".into()),
        });
        let kept: Vec<u32> = batch.records().iter().map(|r| r.input.0).collect();
        assert_eq!(kept, [0, 3, 6, 9]);
        assert_eq!(batch.dropped(), 3);
        let failed: Vec<u32> = batch.failed().iter().map(|f| f.record.input.0).collect();
        assert_eq!(failed, [2, 5, 8]);
        assert_eq!(
            batch.failed()[0].to_string(),
            "odd: two (shard shard-0, sequence 2)"
        );
    }
}
