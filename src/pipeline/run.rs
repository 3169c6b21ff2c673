//! Running batches through a started pipeline.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use tributary_config::OnError;
use tributary_connectors::sources::lambda::document_id;
use tributary_connectors::sources::{SourceConfig, SourceRecord};
use tributary_core::{
    Batch, BoxError, Delivery, FailedRecord, FailureKind, InputIndex, Payload, Processor, Record,
    Sink, Verdict,
};

use super::dead_letter::dead_letter;
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

    /// How long before an invocation's deadline work stops.
    pub fn deadline_margin(&self) -> Duration {
        self.deadline_margin
    }

    /// Runs one batch of source records, as one Lambda invocation would:
    /// decode, processors in order, every sink, then the error policy. Each
    /// input record ends with exactly one [`Fate`].
    pub async fn run(&mut self, inputs: Vec<SourceRecord>) -> BatchOutcome {
        self.run_until(inputs, None).await
    }

    /// Runs one batch like [`Pipeline::run`], but stops work at `deadline`:
    /// what is not delivered by then is reported as failed, for Lambda to
    /// retry. Once a record of a shard is to be retried, the later records of
    /// that shard are not processed: Lambda redelivers them anyway, from the
    /// lowest failed sequence number.
    pub async fn run_until(
        &mut self,
        inputs: Vec<SourceRecord>,
        deadline: Option<Instant>,
    ) -> BatchOutcome {
        let mut fates = vec![Fate::Dropped; inputs.len()];
        let (batch, input_bytes) = self.decode(inputs);
        let (records, mut failed) = self.process(batch, deadline);

        let mut stops = ShardStops::default();
        for failure in &failed {
            if self.retries(failure.kind) {
                stops.note(&failure.record);
            }
        }
        let (mut records, held_back) = stops.hold_back(records);
        failed.extend(held_back);
        // Dropped ones too: Lambda redelivers everything after the stop.
        for (index, origin) in input_bytes.origins.iter().enumerate() {
            if stops.is_after_stop(&origin.shard, InputIndex(index as u32)) {
                fates[index] = Fate::Failed;
            }
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            failed.extend(records.drain(..).map(|record| FailedRecord {
                record,
                stage: Arc::from("source"),
                error: past_deadline(),
                kind: FailureKind::Transient,
            }));
        }

        let sink_failed = self.deliver(&mut records, &mut failed, deadline).await;
        for (record, failed) in records.iter().zip(sink_failed) {
            if !failed {
                upgrade(&mut fates, record.input, Fate::Delivered);
            }
        }
        for failure in &failed {
            if self.retries(failure.kind) {
                stops.note(&failure.record);
            }
        }
        self.settle(failed, &stops, &input_bytes, &mut fates).await;

        let failed = first_failed_of_each_shard(&fates, &input_bytes.origins);
        BatchOutcome { fates, failed }
    }

    /// Whether a failure of this kind is reported to Lambda for retry under
    /// the pipeline's error policy (rather than skipped or dead-lettered).
    fn retries(&self, kind: FailureKind) -> bool {
        match kind {
            FailureKind::Transient => true,
            FailureKind::Rejected => self.dead_letter.is_none(),
            FailureKind::Record => self.on_error == OnError::Retry,
        }
    }

    /// Hands the records to every sink, each bounded by the deadline; gives,
    /// by record, whether some sink did not take it.
    async fn deliver(
        &mut self,
        records: &mut [Record],
        failed: &mut Vec<FailedRecord>,
        deadline: Option<Instant>,
    ) -> Vec<bool> {
        let mut sink_failed = vec![false; records.len()];
        if records.is_empty() {
            return sink_failed;
        }
        for (name, sink) in &mut self.sinks {
            let delivery = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline.into(), sink.deliver(records))
                    .await
                    .unwrap_or_else(|_| Delivery::all_failed(records.len(), past_deadline)),
                None => sink.deliver(records).await,
            };
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
        sink_failed
    }

    /// Makes everything the sinks took durable.
    pub async fn flush(&mut self) -> Result<(), BoxError> {
        for (_, sink) in self.sinks.iter_mut().chain(self.dead_letter.iter_mut()) {
            sink.flush().await?;
        }
        Ok(())
    }

    /// Turns source records into a batch with the source's codec; records
    /// that cannot be read or decoded fail at stage `source`. For DynamoDB
    /// Streams, earlier changes to an item that changes again later in the
    /// batch are dropped, when the source collapses them.
    fn decode(&self, inputs: Vec<SourceRecord>) -> (Batch, Inputs) {
        let codec = self.source.codec();
        let superseded = self.superseded(&inputs);
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
            if superseded.get(index).copied().unwrap_or(false) {
                continue;
            }
            let input_index = InputIndex(index as u32);
            let decoded = match input.error {
                Some(error) => Err(error),
                None => codec.decode(input.data, input.data_is_json, |payload| {
                    batch.push(Record {
                        origin: origin.clone(),
                        payload,
                        input: input_index,
                    });
                }),
            };
            if let Err(error) = decoded {
                let record = Record::new(origin, Payload::from_bytes(Bytes::new()), input_index);
                batch.fail(record, error.into());
            }
        }
        (batch, kept)
    }

    /// Which inputs a later change to the same DynamoDB item supersedes.
    fn superseded(&self, inputs: &[SourceRecord]) -> Vec<bool> {
        let SourceConfig::DynamodbStreams(config) = &self.source else {
            return Vec::new();
        };
        if !config.collapse {
            return Vec::new();
        }
        let mut latest = HashMap::new();
        let mut superseded = vec![false; inputs.len()];
        for (index, input) in inputs.iter().enumerate() {
            // Changes without keys (a stream of keys-only nulls) name no item.
            let names_an_item =
                |keys: &&Value| keys.as_object().is_some_and(|keys| !keys.is_empty());
            let keys = input.origin.item_keys.as_ref().filter(names_an_item);
            let Some(keys) = keys.filter(|_| input.error.is_none()) else {
                continue;
            };
            if let Some(earlier) = latest.insert(document_id(keys), index) {
                superseded[earlier] = true;
            }
        }
        superseded
    }

    /// Runs the processors in order, then checks that what is left is JSON.
    /// A processor that fails the whole batch fails each record still in it;
    /// at the deadline, what is left fails for retry.
    fn process(
        &mut self,
        mut batch: Batch,
        deadline: Option<Instant>,
    ) -> (Vec<Record>, Vec<FailedRecord>) {
        for (label, processor) in &mut self.processors {
            batch.set_stage(label.clone());
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                for record in batch.take_records() {
                    batch.fail_with(record, past_deadline(), FailureKind::Transient);
                }
                break;
            }
            if let Err(error) = processor.process(&mut batch) {
                let message = error.to_string();
                for record in batch.take_records() {
                    batch.fail(record, message.clone().into());
                }
            }
        }
        // Every sink writes JSON: a payload that is not JSON is the record's
        // fault, so it fails here, under `on_error`, before any delivery.
        // Sinks then find it checked and do not check again.
        batch.set_stage(Arc::from("source"));
        batch.apply(|record| match record.payload.validate_json() {
            Ok(()) => Verdict::Keep,
            Err(error) => Verdict::Fail(error.into()),
        });
        batch.into_parts()
    }

    /// Applies the error policy to the failed records: retry, skip or dead-letter.
    /// A failure in a shard after that shard's first retried record is
    /// retried too: Lambda redelivers it whatever is done with it now.
    async fn settle(
        &mut self,
        failed: Vec<FailedRecord>,
        stops: &ShardStops,
        inputs: &Inputs,
        fates: &mut [Fate],
    ) {
        let mut letters = Vec::new();
        for failure in failed {
            if stops.is_after_stop(&failure.record.origin.shard, failure.record.input) {
                upgrade(fates, failure.record.input, Fate::Failed);
                continue;
            }
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

/// Per shard, the first input record that is to be retried: Lambda
/// redelivers the shard from there, so nothing after it is processed.
#[derive(Default)]
struct ShardStops {
    first_retried: HashMap<Arc<str>, InputIndex>,
}

impl ShardStops {
    fn note(&mut self, record: &Record) {
        let stop = self
            .first_retried
            .entry(record.origin.shard.clone())
            .or_insert(record.input);
        *stop = (*stop).min(record.input);
    }

    fn is_after_stop(&self, shard: &str, input: InputIndex) -> bool {
        self.first_retried
            .get(shard)
            .is_some_and(|stop| input > *stop)
    }

    /// Splits off the records that come after their shard's stop; they fail
    /// without being processed further.
    fn hold_back(&self, records: Vec<Record>) -> (Vec<Record>, Vec<FailedRecord>) {
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
                error: "not processed: an earlier record of its shard failed, and Lambda redelivers the shard from there".into(),
                kind: FailureKind::Transient,
            })
            .collect();
        (kept, held)
    }
}

fn past_deadline() -> BoxError {
    "not processed before the invocation's deadline; Lambda retries it".into()
}

/// The first failed input record of each shard, in input order: Lambda
/// retries a shard from its lowest failed sequence number, so these are the
/// identifiers it needs.
fn first_failed_of_each_shard(
    fates: &[Fate],
    origins: &[Arc<tributary_core::Origin>],
) -> Vec<Arc<tributary_core::Origin>> {
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
