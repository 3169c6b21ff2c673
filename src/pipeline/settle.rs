//! The error policy: what becomes of each record that failed.

use std::collections::HashSet;
use std::time::Instant;

use tributary_config::OnError;
use tributary_core::{FailedRecord, FailureKind, InputIndex};

use super::Fate;
use super::Pipeline;
use super::dead_letter::dead_letter;
use super::decode::Inputs;
use super::run::upgrade;
use super::stops::ShardStops;

impl Pipeline {
    /// Applies the error policy to the failed records: retry, skip or
    /// dead-letter. A failure in a shard after that shard's first retried
    /// record is retried too: Lambda redelivers it whatever is done with it
    /// now. Gives how many records that a processor made (aggregate
    /// documents) are to be retried: they belong to no input record, so the
    /// whole invocation must fail for them.
    pub(super) async fn settle(
        &mut self,
        failed: Vec<FailedRecord>,
        stops: &ShardStops,
        inputs: &Inputs,
        fates: &mut [Fate],
        deadline: Option<Instant>,
    ) -> u64 {
        let mut letters = Vec::new();
        let mut emitted_failed = 0;
        // An input with one output to retry is retried whole: none of its
        // other outputs is skipped or dead-lettered, and it gets one letter.
        let retried: HashSet<InputIndex> = failed
            .iter()
            .filter(|f| f.record.input != InputIndex::EMITTED && self.retries(f.kind))
            .map(|f| f.record.input)
            .collect();
        let mut lettered = HashSet::new();
        for failure in failed {
            let input = failure.record.input;
            if stops.is_after_stop(&failure.record.origin.shard, input) || retried.contains(&input)
            {
                self.failure_log
                    .failed(&self.name, &failure, "failed, Lambda will retry it");
                upgrade(fates, input, Fate::Failed);
                continue;
            }
            let wants_dead_letter = match failure.kind {
                FailureKind::Transient => false,
                FailureKind::Rejected => self.dead_letter.is_some(),
                FailureKind::Record => self.on_error == OnError::DeadLetter,
            };
            if wants_dead_letter {
                if input != InputIndex::EMITTED && !lettered.insert(input) {
                    continue;
                }
                let data = match inputs.data.get(input.0 as usize) {
                    Some(data) => data.for_dead_letter(),
                    None => failure.record.payload.to_bytes(),
                };
                letters.push(dead_letter(&failure, &data));
                continue;
            }
            let skip = failure.kind == FailureKind::Record && self.on_error == OnError::Skip;
            let outcome = if skip {
                "skipped"
            } else {
                "failed, Lambda will retry it"
            };
            self.failure_log.failed(&self.name, &failure, outcome);
            if input == InputIndex::EMITTED {
                emitted_failed += u64::from(!skip);
            } else {
                upgrade(
                    fates,
                    input,
                    if skip { Fate::Skipped } else { Fate::Failed },
                );
            }
        }
        if !letters.is_empty() {
            emitted_failed += self.send_dead_letters(letters, fates, deadline).await;
        }
        self.failure_log.end_batch(&self.name);
        emitted_failed
    }

    /// Sends dead letters, in stream order so a dead-letter file replays like
    /// the stream did; a letter the sink does not take is retried. Gives how
    /// many letters of emitted records were not taken.
    async fn send_dead_letters(
        &mut self,
        mut letters: Vec<tributary_core::Record>,
        fates: &mut [Fate],
        deadline: Option<Instant>,
    ) -> u64 {
        letters.sort_by_key(|letter| letter.input);
        let (name, sink) = self
            .dead_letter
            .as_mut()
            .expect("dead letters are made only when there is a dead-letter sink");
        let delivery = match deadline {
            Some(at) => tokio::time::timeout_at(at.into(), sink.deliver(&mut letters, deadline))
                .await
                .unwrap_or_else(|_| {
                    tributary_core::Delivery::all_failed(letters.len(), || {
                        "the dead-letter sink did not answer before the deadline".into()
                    })
                }),
            None => sink.deliver(&mut letters, None).await,
        };
        let mut undelivered = vec![false; letters.len()];
        for failure in delivery.failures {
            if let Some(slot) = undelivered.get_mut(failure.index) {
                *slot = true;
                tracing::warn!(sink = %name, error = %failure.error, "dead letter not delivered; the record will be retried");
            }
        }
        let mut emitted_failed = 0;
        for (letter, undelivered) in letters.iter().zip(undelivered) {
            if letter.input == InputIndex::EMITTED {
                emitted_failed += u64::from(undelivered);
                continue;
            }
            let fate = if undelivered {
                Fate::Failed
            } else {
                Fate::DeadLettered
            };
            upgrade(fates, letter.input, fate);
        }
        emitted_failed
    }
}
