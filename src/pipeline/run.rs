//! Running batches through a started pipeline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tributary_config::OnError;
use tributary_connectors::sources::{DecompressionBudget, SourceConfig, SourceRecord};
use tributary_core::{
    BoxError, Delivery, FailedRecord, FailureKind, InputIndex, Processor, Record, Sink, Window,
};

use super::failure_log::FailureLog;
use super::stops::{ShardStops, first_failed_of_each_shard};
use super::{BatchOutcome, Fate};

/// A started pipeline: processors built, sinks open.
pub struct Pipeline {
    pub(super) name: String,
    pub(super) on_error: OnError,
    pub(super) deadline_margin: Duration,
    pub(super) source: SourceConfig,
    pub(super) processors: Vec<(Arc<str>, Box<dyn Processor>)>,
    pub(super) sinks: Vec<(Arc<str>, Box<dyn Sink>)>,
    pub(super) dead_letter: Option<(Arc<str>, Box<dyn Sink>)>,
    pub(super) failure_log: FailureLog,
    pub(super) decompression_budget: DecompressionBudget,
}

/// What one invocation brings besides its records.
#[derive(Debug, Clone, Default)]
pub struct BatchContext {
    /// The tumbling window it belongs to, with the state so far.
    pub window: Option<Window>,
    /// When work must stop; what is not delivered by then fails for retry.
    pub deadline: Option<Instant>,
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

    /// Whether a processor works on Lambda's tumbling window, so that an
    /// invocation needs one.
    pub fn needs_window(&self) -> bool {
        self.processors
            .iter()
            .any(|(_, processor)| processor.needs_window())
    }

    /// How long before an invocation's deadline work stops.
    pub fn deadline_margin(&self) -> Duration {
        self.deadline_margin
    }

    /// Runs one batch of source records, as one Lambda invocation would:
    /// decode, processors in order, every sink, then the error policy. Each
    /// input record ends with exactly one [`Fate`].
    pub async fn run(&mut self, inputs: Vec<SourceRecord>) -> BatchOutcome {
        self.run_with(inputs, BatchContext::default()).await
    }

    /// Runs one batch like [`Pipeline::run`], in a tumbling window and
    /// against a deadline. Once a record of a shard is to be retried, the
    /// later records of that shard are not processed: Lambda redelivers them
    /// anyway, from the lowest failed sequence number.
    pub async fn run_with(
        &mut self,
        inputs: Vec<SourceRecord>,
        context: BatchContext,
    ) -> BatchOutcome {
        let (mut batch, inputs) = self.decode(inputs);
        let mut fates = vec![Fate::Dropped; inputs.len()];
        batch.set_window(context.window);
        batch.set_retry_record_failures(self.on_error == OnError::Retry);
        let mut stops = ShardStops::new(&inputs.origins);
        let mut parts = self.process(batch, &mut stops, context.deadline);
        // Dropped ones too: Lambda redelivers everything after a stop.
        for (index, origin) in inputs.origins.iter().enumerate() {
            if stops.is_after_stop(&origin.shard, InputIndex(index as u32)) {
                fates[index] = Fate::Failed;
            }
        }
        for input in &parts.absorbed {
            upgrade(&mut fates, *input, Fate::Aggregated);
        }

        let sink_failed = self
            .deliver(&mut parts.records, &mut parts.failed, context.deadline)
            .await;
        for (record, failed) in parts.records.iter().zip(sink_failed) {
            if !failed {
                upgrade(&mut fates, record.input, Fate::Delivered);
            }
        }
        for failure in &parts.failed {
            if self.retries(failure.kind) {
                stops.note(&failure.record);
            }
        }
        let emitted_failed = self
            .settle(parts.failed, &stops, &inputs, &mut fates, context.deadline)
            .await;

        let failed = first_failed_of_each_shard(&fates, &inputs.origins);
        BatchOutcome {
            fates,
            failed,
            window: parts.window,
            emitted_failed,
        }
    }

    /// Whether a failure of this kind is reported to Lambda for retry under
    /// the pipeline's error policy (rather than skipped or dead-lettered).
    pub(super) fn retries(&self, kind: FailureKind) -> bool {
        match kind {
            FailureKind::Transient => true,
            FailureKind::Rejected => self.dead_letter.is_none(),
            FailureKind::Record => self.on_error == OnError::Retry,
        }
    }

    /// Hands the records to every sink, each bounded by the deadline; gives,
    /// by record, whether some sink did not take it. Past the deadline, no
    /// sink is tried.
    async fn deliver(
        &mut self,
        records: &mut Vec<Record>,
        failed: &mut Vec<FailedRecord>,
        deadline: Option<Instant>,
    ) -> Vec<bool> {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            failed.extend(
                records
                    .drain(..)
                    .map(|record| past_deadline(record, "source")),
            );
        }
        let mut sink_failed = vec![false; records.len()];
        if records.is_empty() {
            return sink_failed;
        }
        for (name, sink) in &mut self.sinks {
            let delivery = match deadline {
                Some(at) => tokio::time::timeout_at(at.into(), sink.deliver(records, deadline))
                    .await
                    .unwrap_or_else(|_| Delivery::all_failed(records.len(), deadline_error)),
                None => sink.deliver(records, None).await,
            };
            for failure in delivery.failures {
                if let Some(slot) = sink_failed.get_mut(failure.index) {
                    *slot = true;
                    let kind = if failure.transient() {
                        FailureKind::Transient
                    } else {
                        FailureKind::Rejected
                    };
                    failed.push(FailedRecord {
                        record: records[failure.index].clone(),
                        stage: name.clone(),
                        error: failure.error.into(),
                        kind,
                    });
                }
            }
        }
        sink_failed
    }

    /// Makes everything the sinks took durable.
    pub async fn flush(&mut self) -> Result<(), BoxError> {
        for (_, sink) in self.sinks.iter_mut().chain(self.dead_letter.iter_mut()) {
            sink.flush().await?;
        }
        Ok(())
    }
}

fn deadline_error() -> BoxError {
    "not processed before the invocation's deadline; Lambda retries it".into()
}

/// A record that the deadline stopped at `stage`.
pub(super) fn past_deadline(record: Record, stage: &str) -> FailedRecord {
    FailedRecord {
        record,
        stage: Arc::from(stage),
        error: deadline_error(),
        kind: FailureKind::Transient,
    }
}

/// Sets an input's fate, unless it already has a later one.
pub(super) fn upgrade(fates: &mut [Fate], input: InputIndex, fate: Fate) {
    if let Some(slot) = fates.get_mut(input.0 as usize) {
        *slot = (*slot).max(fate);
    }
}
