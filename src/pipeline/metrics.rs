//! What one batch measured, stage by stage, for the function's metrics: each
//! processor's records and time, each sink's records, requests and time, and
//! how long delivered records took from their arrival in the stream.
//!
//! The numbers are gathered as the stages run, a few per stage and one
//! latency sample per delivered record; turning them into metric lines is
//! the Lambda function's business (`lambda::metrics`).

use std::sync::Arc;
use std::time::Duration;

use tributary_core::{Delivery, InputIndex, Record, SinkStats};

/// What one batch measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchMetrics {
    /// Each processor, in order.
    pub processors: Vec<ProcessorMetrics>,
    /// Each sink that was given records, the dead-letter sink last.
    pub sinks: Vec<SinkMetrics>,
    /// From each delivered input record's arrival in the stream to the end
    /// of its delivery.
    pub latency: Latencies,
    /// How long before the batch started its oldest input record arrived;
    /// `None` for an empty batch.
    pub oldest_record_age: Option<Duration>,
    /// How many records were dead-lettered, by the stage they failed in (a
    /// sink's name, a processor's label, or `source`), in order of first
    /// letter.
    pub dead_letters: Vec<(Arc<str>, u64)>,
    /// The first few dead letters delivered (at most
    /// [`DEAD_LETTER_SAMPLES`]), with why: for a summary to show.
    pub dead_letter_samples: Vec<DeadLetterSample>,
}

/// How many dead letters a batch keeps with their reasons.
pub const DEAD_LETTER_SAMPLES: usize = 5;

/// One dead letter, as a summary shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterSample {
    /// The stage that failed the record: a processor's label, a sink's
    /// name, `source` or `route`.
    pub stage: Arc<str>,
    /// The record's shard.
    pub shard: Arc<str>,
    /// The record's sequence number.
    pub sequence: String,
    /// Why it failed.
    pub message: String,
}

/// One processor's share of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorMetrics {
    /// The processor's label (its `id`, else `KIND#INDEX`).
    pub label: Arc<str>,
    /// Records it was given.
    pub records_in: u64,
    /// Records it left in the batch.
    pub records_out: u64,
    /// How long it took.
    pub time: Duration,
}

/// One sink's share of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkMetrics {
    /// The sink's name.
    pub name: Arc<str>,
    /// Records it was given.
    pub records: u64,
    /// Of them, records processors made (aggregate documents), which come
    /// from no one input record.
    pub emitted: u64,
    /// Records it stored.
    pub delivered: u64,
    /// Records it (or its destination) refused for good.
    pub rejected: u64,
    /// Records it did not deliver for now.
    pub failed: u64,
    /// How long its delivery took.
    pub time: Duration,
    /// What it sent, as it counts it.
    pub sent: SinkStats,
    /// From each stored record's arrival in the stream to the end of the
    /// delivery; aggregate documents, which arrived nowhere, are left out.
    pub latency: Latencies,
}

impl SinkMetrics {
    /// The metrics of the delivery of `records` to the sink `name`, which
    /// took `time`, ended at `now_ms` and sent `sent`.
    pub(super) fn of(
        name: &Arc<str>,
        records: &[Record],
        delivery: &Delivery,
        time: Duration,
        sent: SinkStats,
        now_ms: i64,
    ) -> Self {
        let mut failed_at = vec![false; records.len()];
        let (mut rejected, mut failed) = (0, 0);
        for failure in &delivery.failures {
            match failed_at.get_mut(failure.index) {
                Some(slot) if !*slot => *slot = true,
                _ => continue,
            }
            if failure.transient() {
                failed += 1;
            } else {
                rejected += 1;
            }
        }
        let mut latency = Latencies::default();
        let mut emitted = 0;
        for (record, failed) in records.iter().zip(&failed_at) {
            if record.input == InputIndex::EMITTED {
                emitted += 1;
            } else if !failed {
                latency.record(now_ms, record.origin.arrival_ms);
            }
        }
        SinkMetrics {
            name: name.clone(),
            records: records.len() as u64,
            emitted,
            delivered: records.len() as u64 - rejected - failed,
            rejected,
            failed,
            time,
            sent,
            latency,
        }
    }
}

/// What each sink received and stored over many batches, and the first few
/// dead letters with why: what a summary of a run says of where everything
/// went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryTotals {
    /// Each sink that was given records, in order of first delivery.
    pub sinks: Vec<SinkTotals>,
    /// Dead letters by the stage they failed in, in order of first letter.
    pub dead_letters: Vec<(Arc<str>, u64)>,
    /// The first few dead letters (at most [`DEAD_LETTER_SAMPLES`]).
    pub dead_letter_samples: Vec<DeadLetterSample>,
}

/// One sink's numbers over many batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkTotals {
    /// The sink's name.
    pub name: Arc<str>,
    /// Records it was given, each time it was given them (a record
    /// redelivered after a failure counts again).
    pub records: u64,
    /// Of them, aggregate documents.
    pub emitted: u64,
    /// Records it stored.
    pub delivered: u64,
    /// Records it (or its destination) refused for good.
    pub rejected: u64,
    /// Records it did not deliver for now.
    pub failed: u64,
}

impl From<&SinkMetrics> for SinkTotals {
    /// One batch's counts, to add to a run's.
    fn from(batch: &SinkMetrics) -> Self {
        SinkTotals {
            name: batch.name.clone(),
            records: batch.records,
            emitted: batch.emitted,
            delivered: batch.delivered,
            rejected: batch.rejected,
            failed: batch.failed,
        }
    }
}

impl std::ops::AddAssign<&SinkTotals> for SinkTotals {
    /// Adds another part's counts of the same sink.
    fn add_assign(&mut self, other: &SinkTotals) {
        self.records += other.records;
        self.emitted += other.emitted;
        self.delivered += other.delivered;
        self.rejected += other.rejected;
        self.failed += other.failed;
    }
}

impl DeliveryTotals {
    /// Adds what one batch measured.
    pub fn add(&mut self, batch: &BatchMetrics) {
        for sink in &batch.sinks {
            self.add_sink(&SinkTotals::from(sink));
        }
        self.add_letters(&batch.dead_letters, &batch.dead_letter_samples);
    }

    /// Adds the totals of another part of the same run.
    pub fn absorb(&mut self, part: &DeliveryTotals) {
        for sink in &part.sinks {
            self.add_sink(sink);
        }
        self.add_letters(&part.dead_letters, &part.dead_letter_samples);
    }

    /// How many dead letters there were, at every stage.
    pub fn dead_lettered(&self) -> u64 {
        self.dead_letters.iter().map(|(_, count)| count).sum()
    }

    fn add_sink(&mut self, sink: &SinkTotals) {
        let totals = match self.sinks.iter_mut().position(|s| s.name == sink.name) {
            Some(index) => &mut self.sinks[index],
            None => {
                self.sinks.push(SinkTotals {
                    name: sink.name.clone(),
                    ..SinkTotals::default()
                });
                self.sinks.last_mut().expect("just pushed")
            }
        };
        *totals += sink;
    }

    fn add_letters(&mut self, by_stage: &[(Arc<str>, u64)], samples: &[DeadLetterSample]) {
        for (stage, count) in by_stage {
            count_by_stage(&mut self.dead_letters, stage, *count);
        }
        let room = DEAD_LETTER_SAMPLES.saturating_sub(self.dead_letter_samples.len());
        self.dead_letter_samples
            .extend(samples.iter().take(room).cloned());
    }
}

/// Latencies in milliseconds, one sample a record: the raw numbers a
/// distribution is made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    /// Adds the latency of a record that arrived at `arrival_ms` and was
    /// delivered at `now_ms`. A record with no arrival time (zero or less)
    /// adds nothing; a clock behind the arrival counts as no latency.
    pub fn record(&mut self, now_ms: i64, arrival_ms: i64) {
        if arrival_ms > 0 {
            self.0.push(now_ms.saturating_sub(arrival_ms).max(0) as u64);
        }
    }

    /// The samples, in the order they were added.
    pub fn samples(&self) -> &[u64] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Adds `letters` dead letters of `stage` to the counts by stage, keeping
/// the stages in order of first letter: one batch's, or a run's totals.
pub(super) fn count_by_stage(counts: &mut Vec<(Arc<str>, u64)>, stage: &Arc<str>, letters: u64) {
    match counts.iter_mut().find(|(name, _)| name == stage) {
        Some((_, count)) => *count += letters,
        None => counts.push((stage.clone(), letters)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(name: &str, records: u64, emitted: u64, failed: u64) -> SinkMetrics {
        SinkMetrics {
            name: Arc::from(name),
            records,
            emitted,
            delivered: records - failed,
            rejected: 0,
            failed,
            time: Duration::ZERO,
            sent: SinkStats::default(),
            latency: Latencies::default(),
        }
    }

    fn letter(sequence: u32) -> DeadLetterSample {
        DeadLetterSample {
            stage: Arc::from("source"),
            shard: Arc::from("s"),
            sequence: sequence.to_string(),
            message: "not JSON".to_owned(),
        }
    }

    #[test]
    fn delivery_totals_add_up_per_sink_and_keep_the_first_letters() {
        let batch = |first: u32| BatchMetrics {
            sinks: vec![sink("out", 10, 2, 1), sink("dlq", 4, 0, 0)],
            dead_letters: vec![(Arc::from("source"), 4)],
            dead_letter_samples: (first..first + 4).map(letter).collect(),
            ..BatchMetrics::default()
        };
        let mut totals = DeliveryTotals::default();
        totals.add(&batch(0));
        let mut part = DeliveryTotals::default();
        part.add(&batch(4));
        totals.absorb(&part);
        let out = &totals.sinks[0];
        assert_eq!(
            (
                &*out.name,
                out.records,
                out.emitted,
                out.delivered,
                out.failed
            ),
            ("out", 20, 4, 18, 2)
        );
        assert_eq!(
            (&*totals.sinks[1].name, totals.sinks[1].records),
            ("dlq", 8)
        );
        assert_eq!(totals.dead_lettered(), 8);
        let kept: Vec<&str> = totals
            .dead_letter_samples
            .iter()
            .map(|l| l.sequence.as_str())
            .collect();
        assert_eq!(kept, ["0", "1", "2", "3", "4"], "the first five, in order");
    }
}
