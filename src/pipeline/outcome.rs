//! What became of each input record of a batch.

use std::ops::AddAssign;
use std::sync::Arc;

use tributary_core::{Origin, Window};

/// What became of one input record. When a record's outputs end differently,
/// the later variant wins: one failed output fails the input record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
    /// A processor dropped it (or all of its outputs) on purpose.
    Dropped,
    /// It could not be processed, and `on_error = "skip"` dropped it.
    Skipped,
    /// An aggregate folded it into window state or into a document.
    Aggregated,
    /// Every sink took it.
    Delivered,
    /// It went to the dead-letter sink, with the reason.
    DeadLettered,
    /// It is reported as failed, so Lambda retries it.
    Failed,
}

/// Counts of input records by their fate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Input records.
    pub records_in: u64,
    /// Dropped on purpose by a processor.
    pub dropped: u64,
    /// Could not be processed and were skipped (`on_error = "skip"`).
    pub skipped: u64,
    /// Folded into an aggregate.
    pub aggregated: u64,
    /// Delivered to every sink.
    pub delivered: u64,
    /// Sent to the dead-letter sink.
    pub dead_lettered: u64,
    /// Reported as failed, for Lambda to retry.
    pub failed: u64,
}

impl Totals {
    /// Whether every input record has exactly one fate.
    pub fn balanced(&self) -> bool {
        self.records_in
            == self.dropped
                + self.skipped
                + self.aggregated
                + self.delivered
                + self.dead_lettered
                + self.failed
    }
}

impl AddAssign for Totals {
    fn add_assign(&mut self, other: Totals) {
        self.records_in += other.records_in;
        self.dropped += other.dropped;
        self.skipped += other.skipped;
        self.aggregated += other.aggregated;
        self.delivered += other.delivered;
        self.dead_lettered += other.dead_lettered;
        self.failed += other.failed;
    }
}

/// The result of one batch: what became of each input record.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// Each input record's fate, by its position in the batch.
    pub fates: Vec<Fate>,
    /// The first failed input record of each shard, in input order: what
    /// Lambda must be told in `batchItemFailures`. Lambda retries a shard
    /// from its lowest failed sequence number, so the later failed records of
    /// a shard need no report of their own.
    pub failed: Vec<Arc<Origin>>,
    /// The tumbling window, with the state the processors left for the next
    /// invocation of the window.
    pub window: Option<Window>,
    /// How many records that processors made (aggregate documents) could not
    /// be delivered. They stem from no one input record, so the invocation
    /// fails as a whole for Lambda to retry it, with the same window state.
    pub emitted_failed: u64,
}

impl BatchOutcome {
    /// The counts by fate.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals {
            records_in: self.fates.len() as u64,
            ..Totals::default()
        };
        for fate in &self.fates {
            match fate {
                Fate::Dropped => totals.dropped += 1,
                Fate::Skipped => totals.skipped += 1,
                Fate::Aggregated => totals.aggregated += 1,
                Fate::Delivered => totals.delivered += 1,
                Fate::DeadLettered => totals.dead_lettered += 1,
                Fate::Failed => totals.failed += 1,
            }
        }
        totals
    }
}
