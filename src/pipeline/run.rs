//! Running batches through a started pipeline.

use std::sync::Arc;

use bytes::Bytes;
use tributary_config::OnError;
use tributary_connectors::sources::{SourceConfig, SourceRecord};
use tributary_core::{
    Batch, BoxError, FailedRecord, FailureKind, InputIndex, Processor, Record, Sink,
};

use super::dead_letter::dead_letter;
use super::{BatchOutcome, Fate};

/// A started pipeline: processors built, sinks open.
pub struct Pipeline {
    pub(super) name: String,
    pub(super) on_error: OnError,
    pub(super) source: SourceConfig,
    pub(super) processors: Vec<(Arc<str>, Box<dyn Processor>)>,
    pub(super) sinks: Vec<(Arc<str>, Box<dyn Sink>)>,
    pub(super) dead_letter: Option<(Arc<str>, Box<dyn Sink>)>,
}

impl Pipeline {
    /// The pipeline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pipeline's source.
    pub fn source(&self) -> &SourceConfig {
        &self.source
    }

    /// Runs one batch of source records, as one Lambda invocation would:
    /// decode, processors in order, every sink, then the error policy. Each
    /// input record ends with exactly one [`Fate`].
    pub async fn run(&mut self, inputs: Vec<SourceRecord>) -> BatchOutcome {
        let mut fates = vec![Fate::Dropped; inputs.len()];
        let (batch, input_bytes) = self.decode(inputs);
        let (mut records, mut failed) = self.process(batch);

        let mut sink_failed = vec![false; records.len()];
        for (name, sink) in &mut self.sinks {
            let delivery = sink.deliver(&mut records).await;
            for failure in delivery.failures {
                if let Some(slot) = sink_failed.get_mut(failure.index) {
                    *slot = true;
                    let kind = if failure.transient {
                        FailureKind::Transient
                    } else {
                        FailureKind::Rejected
                    };
                    failed.push(FailedRecord {
                        record: records[failure.index].clone(),
                        stage: name.clone(),
                        error: failure.error,
                        kind,
                    });
                }
            }
        }
        for (record, failed) in records.iter().zip(sink_failed) {
            if !failed {
                upgrade(&mut fates, record.input, Fate::Delivered);
            }
        }
        self.settle(failed, &input_bytes, &mut fates).await;

        let failed = inputs_that_failed(&fates, &input_bytes.origins);
        BatchOutcome { fates, failed }
    }

    /// Makes everything the sinks took durable.
    pub async fn flush(&mut self) -> Result<(), BoxError> {
        for (_, sink) in self.sinks.iter_mut().chain(self.dead_letter.iter_mut()) {
            sink.flush().await?;
        }
        Ok(())
    }

    /// Turns source records into a batch with the source's codec; records
    /// that do not decode fail at stage `source`.
    fn decode(&self, inputs: Vec<SourceRecord>) -> (Batch, Inputs) {
        let codec = self.source.codec();
        let mut batch = Batch::new(Vec::with_capacity(inputs.len()));
        batch.set_stage(Arc::from("source"));
        let mut kept = Inputs {
            data: Vec::with_capacity(inputs.len()),
            origins: Vec::with_capacity(inputs.len()),
        };
        for (index, input) in inputs.into_iter().enumerate() {
            let origin = Arc::new(input.origin);
            kept.data.push(input.data.clone());
            kept.origins.push(origin.clone());
            let input_index = InputIndex(index as u32);
            match codec.decode(input.data, input.data_is_json) {
                Ok(payload) => batch.push(Record {
                    origin,
                    payload,
                    input: input_index,
                }),
                Err(error) => {
                    let record = Record::new(
                        origin,
                        tributary_core::Payload::from_bytes(Bytes::new()),
                        input_index,
                    );
                    batch.fail(record, error.into());
                }
            }
        }
        (batch, kept)
    }

    /// Runs the processors in order. A processor that fails the whole batch
    /// fails each record still in it.
    fn process(&mut self, mut batch: Batch) -> (Vec<Record>, Vec<FailedRecord>) {
        for (label, processor) in &mut self.processors {
            batch.set_stage(label.clone());
            if let Err(error) = processor.process(&mut batch) {
                let message = error.to_string();
                for record in batch.take_records() {
                    batch.fail(record, message.clone().into());
                }
            }
        }
        batch.into_parts()
    }

    /// Applies the error policy to the failed records: retry, skip or dead-letter.
    async fn settle(&mut self, failed: Vec<FailedRecord>, inputs: &Inputs, fates: &mut [Fate]) {
        let mut letters = Vec::new();
        for failure in failed {
            let wants_dead_letter = match failure.kind {
                FailureKind::Transient => false,
                FailureKind::Rejected => self.dead_letter.is_some(),
                FailureKind::Record => self.on_error == OnError::DeadLetter,
            };
            if wants_dead_letter {
                letters.push(dead_letter(
                    &failure,
                    &inputs.data[failure.record.input.0 as usize],
                ));
                continue;
            }
            let skip = failure.kind == FailureKind::Record && self.on_error == OnError::Skip;
            let fate = if skip { Fate::Skipped } else { Fate::Failed };
            tracing::warn!(
                pipeline = %self.name,
                stage = %failure.stage,
                shard = %failure.record.origin.shard,
                sequence = %failure.record.origin.sequence,
                error = %failure.error,
                outcome = if skip { "skipped" } else { "failed, Lambda will retry it" },
                "record not processed"
            );
            upgrade(fates, failure.record.input, fate);
        }
        if letters.is_empty() {
            return;
        }
        // In stream order, so a dead-letter file replays like the stream did.
        letters.sort_by_key(|letter| letter.input);
        let (name, sink) = self
            .dead_letter
            .as_mut()
            .expect("dead letters are made only when there is a dead-letter sink");
        let delivery = sink.deliver(&mut letters).await;
        let mut undelivered = vec![false; letters.len()];
        for failure in delivery.failures {
            if let Some(slot) = undelivered.get_mut(failure.index) {
                *slot = true;
                tracing::warn!(sink = %name, error = %failure.error, "dead letter not delivered; the record will be retried");
            }
        }
        for (letter, undelivered) in letters.iter().zip(undelivered) {
            let fate = if undelivered {
                Fate::Failed
            } else {
                Fate::DeadLettered
            };
            upgrade(fates, letter.input, fate);
        }
    }
}

/// What the pipeline keeps of its inputs while a batch runs: their bytes, for
/// dead letters, and their origins, for the failure report.
struct Inputs {
    data: Vec<Bytes>,
    origins: Vec<Arc<tributary_core::Origin>>,
}

fn upgrade(fates: &mut [Fate], input: InputIndex, fate: Fate) {
    if let Some(slot) = fates.get_mut(input.0 as usize) {
        *slot = (*slot).max(fate);
    }
}

fn inputs_that_failed(
    fates: &[Fate],
    origins: &[Arc<tributary_core::Origin>],
) -> Vec<Arc<tributary_core::Origin>> {
    fates
        .iter()
        .zip(origins)
        .filter(|(fate, _)| **fate == Fate::Failed)
        .map(|(_, origin)| origin.clone())
        .collect()
}
