//! The last stage of a batch: the error policy decides what becomes of each
//! record that failed: retried, skipped or dead-lettered.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use tributary_core::{
    Disposition, ErrorPolicy, FailedRecord, InputIndex, Record, ShardStops, Sink,
};

use super::clock::Clock;
use super::dead_letter::dead_letter;
use super::decode::InputData;
use super::deliver::deliver_within;
use super::failure_log::FailureLog;
use super::metrics::{
    BatchMetrics, DEAD_LETTER_SAMPLES, DeadLetterSample, SinkMetrics, count_by_stage,
};
use super::outcome::{Fate, Fates};

/// What settling a batch's failures needs of the pipeline.
pub(super) struct Settlement<'a> {
    pub(super) pipeline: &'a str,
    pub(super) policy: ErrorPolicy,
    pub(super) failure_log: &'a mut FailureLog,
    pub(super) dead_letter: Option<&'a mut (Arc<str>, Box<dyn Sink>)>,
    /// Where the dead-letter sink's delivery and the letters are counted.
    pub(super) measured: &'a mut BatchMetrics,
    /// The clock latencies are measured against.
    pub(super) clock: Clock,
}

impl Settlement<'_> {
    /// Applies the error policy to the failed records. A failure in a shard
    /// after that shard's stop is retried whatever the policy says: Lambda
    /// redelivers it anyway. An input with one output to retry is retried
    /// whole: none of its other outputs is skipped or dead-lettered, and it
    /// gets one letter. Gives how many records that a processor made
    /// (aggregate documents) are to be retried: they belong to no input
    /// record, so the whole invocation must fail for them.
    pub(super) async fn settle(
        mut self,
        failed: Vec<FailedRecord>,
        stops: &ShardStops,
        inputs: &InputData,
        fates: &mut Fates,
        deadline: Option<Instant>,
    ) -> u64 {
        let mut letters = Vec::new();
        let mut emitted_failed = 0;
        let retried: HashSet<InputIndex> = failed
            .iter()
            .filter(|f| f.record.input != InputIndex::EMITTED && self.policy.retries(f.kind))
            .map(|f| f.record.input)
            .collect();
        let mut lettered = HashSet::new();
        for failure in failed {
            let input = failure.record.input;
            if stops.is_after_stop(&failure.record.origin.shard, input) || retried.contains(&input)
            {
                self.failure_log
                    .failed(self.pipeline, &failure, "failed, Lambda will retry it");
                fates.upgrade(input, Fate::Failed);
                continue;
            }
            let disposition = self.policy.disposition(failure.kind);
            if disposition == Disposition::DeadLetter {
                if input != InputIndex::EMITTED && !lettered.insert(input) {
                    continue;
                }
                let data = inputs
                    .for_dead_letter(input)
                    .unwrap_or_else(|| failure.record.payload.to_bytes());
                letters.push(Letter {
                    record: dead_letter(&failure, &data),
                    stage: failure.stage.clone(),
                    reason: failure.error.to_string(),
                });
                continue;
            }
            let skip = disposition == Disposition::Skip;
            let outcome = if skip {
                "skipped"
            } else {
                "failed, Lambda will retry it"
            };
            self.failure_log.failed(self.pipeline, &failure, outcome);
            if input == InputIndex::EMITTED {
                emitted_failed += u64::from(!skip);
            } else {
                fates.upgrade(input, if skip { Fate::Skipped } else { Fate::Failed });
            }
        }
        if !letters.is_empty() {
            emitted_failed += self.send_dead_letters(letters, fates, deadline).await;
        }
        self.failure_log.end_batch(self.pipeline);
        emitted_failed
    }

    /// Sends dead letters, in stream order so a dead-letter file replays like
    /// the stream did; a letter the sink does not take is retried. Gives how many letters of emitted records were not taken.
    async fn send_dead_letters(
        &mut self,
        mut letters: Vec<Letter>,
        fates: &mut Fates,
        deadline: Option<Instant>,
    ) -> u64 {
        letters.sort_by_key(|letter| letter.record.input);
        let (mut records, reasons): (Vec<Record>, Vec<(Arc<str>, String)>) = letters
            .into_iter()
            .map(|letter| (letter.record, (letter.stage, letter.reason)))
            .unzip();
        let (name, sink) = self
            .dead_letter
            .as_deref_mut()
            .expect("dead letters are made only when there is a dead-letter sink");
        let started = Instant::now();
        let delivery = deliver_within(sink.as_mut(), &mut records, deadline, || {
            "the dead-letter sink did not answer before the deadline".into()
        })
        .await;
        self.measured.sinks.push(SinkMetrics::of(
            name,
            &records,
            &delivery,
            started.elapsed(),
            sink.take_stats(),
            self.clock.now_ms(),
        ));
        let mut undelivered = vec![false; records.len()];
        for failure in delivery.failures {
            if let Some(slot) = undelivered.get_mut(failure.index) {
                *slot = true;
                tracing::warn!(sink = %name, error = %failure.error, "dead letter not delivered; the record will be retried");
            }
        }
        let mut emitted_failed = 0;
        for ((letter, (stage, reason)), undelivered) in records.iter().zip(reasons).zip(undelivered)
        {
            if !undelivered {
                count_by_stage(&mut self.measured.dead_letters, &stage, 1);
                if self.measured.dead_letter_samples.len() < DEAD_LETTER_SAMPLES {
                    self.measured.dead_letter_samples.push(DeadLetterSample {
                        stage,
                        shard: letter.origin.shard.clone(),
                        sequence: letter.origin.sequence.clone(),
                        message: reason,
                    });
                }
            }
            if letter.input == InputIndex::EMITTED {
                emitted_failed += u64::from(undelivered);
                continue;
            }
            let fate = if undelivered {
                Fate::Failed
            } else {
                Fate::DeadLettered
            };
            fates.upgrade(letter.input, fate);
        }
        emitted_failed
    }
}

/// A dead letter on its way to the dead-letter sink.
struct Letter {
    /// The letter: the record's original bytes, its origin and the reason.
    record: Record,
    /// The stage that failed the record.
    stage: Arc<str>,
    /// Why, as the letter says it.
    reason: String,
}
