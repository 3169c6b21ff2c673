//! What became of each input record of a batch, and what Lambda is told.

use std::ops::AddAssign;
use std::sync::Arc;

use tributary_core::{InputIndex, Origin, ShardStops, SourceKind, Window};

use super::metrics::BatchMetrics;

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
    /// What the batch measured, stage by stage.
    pub metrics: BatchMetrics,
}

/// Why Lambda must see an invocation fail as a whole, so that it retries
/// all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeFailure {
    /// Records that processors made (aggregate documents) could not be
    /// delivered: they belong to no one input record.
    AggregatesNotDelivered {
        /// How many.
        count: u64,
    },
    /// An EventBridge event could not be delivered: an asynchronous
    /// invocation has no partial failures.
    EventNotDelivered,
}

impl BatchOutcome {
    /// Whether the invocation fails as a whole, and why: Lambda's rule, used
    /// by the handler and by replay alike. Otherwise it succeeds, reporting
    /// [`BatchOutcome::failed`] as its `batchItemFailures`.
    pub fn whole_failure(&self, source: SourceKind) -> Option<WholeFailure> {
        if self.emitted_failed > 0 {
            return Some(WholeFailure::AggregatesNotDelivered {
                count: self.emitted_failed,
            });
        }
        let is_event = source == SourceKind::Eventbridge;
        (is_event && !self.failed.is_empty()).then_some(WholeFailure::EventNotDelivered)
    }

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

/// The fates of a batch's inputs as the stages decide them. An input starts
/// dropped (its outputs all gone on purpose) and moves only to later fates.
pub(super) struct Fates(Vec<Fate>);

impl Fates {
    /// `count` inputs, none decided yet.
    pub(super) fn new(count: usize) -> Self {
        Fates(vec![Fate::Dropped; count])
    }

    /// Sets an input's fate, unless it already has a later one.
    pub(super) fn upgrade(&mut self, input: InputIndex, fate: Fate) {
        if let Some(slot) = self.0.get_mut(input.0 as usize) {
            *slot = (*slot).max(fate);
        }
    }

    /// Fails every input at or after its shard's stop, dropped ones too:
    /// Lambda redelivers them all.
    pub(super) fn fail_after_stops(&mut self, origins: &[Arc<Origin>], stops: &ShardStops) {
        for (index, origin) in origins.iter().enumerate() {
            let input = InputIndex(index as u32);
            if stops.is_after_stop(&origin.shard, input) {
                self.upgrade(input, Fate::Failed);
            }
        }
    }

    /// The outcome: with, for each shard, its first failed input, in input
    /// order. Lambda retries a shard from its lowest failed sequence number,
    /// so these are the identifiers it needs.
    pub(super) fn into_outcome(
        self,
        origins: &[Arc<Origin>],
        window: Option<Window>,
        emitted_failed: u64,
    ) -> BatchOutcome {
        let mut seen: Vec<&str> = Vec::new();
        let mut failed = Vec::new();
        for (fate, origin) in self.0.iter().zip(origins) {
            if *fate == Fate::Failed && !seen.contains(&&*origin.shard) {
                seen.push(&origin.shard);
                failed.push(origin.clone());
            }
        }
        BatchOutcome {
            fates: self.0,
            failed,
            window,
            emitted_failed,
            metrics: BatchMetrics::default(),
        }
    }
}
