//! The first stage of a batch: source records to records, with the source's
//! codec; and the stages after it, the processors.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tributary_connectors::sources::{Codec, SourceRecord, document_id_of, log_event_record};
use tributary_core::{
    Batch, BatchParts, FailureKind, InputIndex, Origin, Payload, Record, Verdict,
};

use super::Pipeline;
use super::run::past_deadline;
use super::stops::ShardStops;

/// What the pipeline keeps of its inputs while a batch runs: their bytes, for
/// dead letters, and their origins, for the failure report. An input is a
/// source record, or one log event of a CloudWatch Logs message: each is
/// accounted on its own, as KPL user records are.
pub(super) struct Inputs {
    pub(super) data: Vec<InputBytes>,
    pub(super) origins: Vec<Arc<Origin>>,
}

impl Inputs {
    /// Adds an input; gives its index.
    fn push(&mut self, data: InputBytes, origin: Arc<Origin>) -> InputIndex {
        self.data.push(data);
        self.origins.push(origin);
        InputIndex(self.origins.len() as u32 - 1)
    }

    /// How many inputs there are.
    pub(super) fn len(&self) -> usize {
        self.origins.len()
    }
}

/// An input's bytes, kept for its dead letter.
pub(super) enum InputBytes {
    /// As the source delivered them.
    Delivered(Bytes),
    /// One log event of a CloudWatch Logs message, as its payload's JSON.
    LogEvent(Bytes),
}

impl InputBytes {
    /// The bytes a dead letter carries: what, sent through the pipeline
    /// again, gives the same input (a log event alone in a message of its
    /// own).
    pub(super) fn for_dead_letter(&self) -> Bytes {
        match self {
            InputBytes::Delivered(bytes) => bytes.clone(),
            InputBytes::LogEvent(payload) => log_event_record(payload),
        }
    }
}

impl Pipeline {
    /// Turns source records into a batch with the source's codec; records
    /// that cannot be read or decoded fail at stage `source`. Each log event
    /// of a CloudWatch Logs message becomes an input of its own, with the
    /// message's sequence number and its position as sub-sequence. What is
    /// decompressed is bounded by the invocation's budget; a record past it
    /// fails for retry. For DynamoDB Streams, each record gets its item's
    /// document id, and earlier changes to an item that changes again later
    /// in the batch are dropped, when the source collapses them.
    pub(super) fn decode(&self, inputs: Vec<SourceRecord>) -> (Batch, Inputs) {
        let codec = self.source.codec();
        let input_per_payload = codec == Codec::CloudwatchLogs;
        let mut budget = self.decompression_budget.fresh();
        let superseded = self.source.superseded(&inputs);
        let mut batch = Batch::new(Vec::with_capacity(inputs.len()));
        batch.set_stage(Arc::from("source"));
        let mut kept = Inputs {
            data: Vec::with_capacity(inputs.len()),
            origins: Vec::with_capacity(inputs.len()),
        };
        for (index, input) in inputs.into_iter().enumerate() {
            // What the source gave (for DynamoDB, the `dynamodb` object),
            // so a dead letter replays as the same record.
            let original = input.original().clone();
            let origin = Arc::new(input.origin);
            if superseded.get(index).copied().unwrap_or(false) {
                kept.push(InputBytes::Delivered(original), origin);
                continue;
            }
            let id = document_id_of(&origin);
            let first = kept.len();
            let decoded = match input.error {
                Some(error) => Err(error),
                None if input_per_payload => {
                    let data = input.data.clone();
                    codec.decode(data, input.data_is_json, &mut budget, |payload| {
                        let mut event = Origin::clone(&origin);
                        event.sub_sequence = Some((kept.len() - first) as u64);
                        let event = Arc::new(event);
                        let bytes = InputBytes::LogEvent(payload.to_bytes());
                        let input_index = kept.push(bytes, event.clone());
                        batch.push(Record::new(event, payload, input_index));
                    })
                }
                None => {
                    let bytes = InputBytes::Delivered(original.clone());
                    let input_index = kept.push(bytes, origin.clone());
                    let data = input.data.clone();
                    codec.decode(data, input.data_is_json, &mut budget, |payload| {
                        let mut record = Record::new(origin.clone(), payload, input_index);
                        record.document_id = id.clone();
                        batch.push(record);
                    })
                }
            };
            // A message that gave no log event (a control message, or one
            // that failed) is one input of its own.
            if kept.len() == first {
                kept.push(InputBytes::Delivered(original), origin.clone());
            }
            if let Err(error) = decoded {
                let input_index = InputIndex(first as u32);
                let record = Record::new(origin, Payload::from_bytes(Bytes::new()), input_index);
                let kind = if error.is_transient() {
                    FailureKind::Transient
                } else {
                    FailureKind::Record
                };
                batch.fail_with(record, error.into(), kind);
            }
        }
        (batch, kept)
    }

    /// Runs the processors in order, then checks that what is left is JSON.
    /// After each stage, records after their shard's first retried record
    /// leave the batch unprocessed (so an aggregate never folds a record
    /// Lambda will deliver again). A processor that fails the whole batch
    /// fails each record still in it; at the deadline, what is left fails
    /// for retry.
    pub(super) fn process(
        &mut self,
        mut batch: Batch,
        stops: &mut ShardStops,
        deadline: Option<Instant>,
    ) -> BatchParts {
        let mut noted = 0;
        self.hold_back(&mut batch, stops, &mut noted);
        let mut processors = std::mem::take(&mut self.processors);
        for (label, processor) in &mut processors {
            batch.set_stage(label.clone());
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                for record in batch.take_records() {
                    let failed = past_deadline(record, label);
                    batch.fail_with(failed.record, failed.error, failed.kind);
                }
                break;
            }
            if let Err(error) = processor.process(&mut batch) {
                let message = error.to_string();
                for record in batch.take_records() {
                    batch.fail(record, message.clone().into());
                }
            }
            self.hold_back(&mut batch, stops, &mut noted);
        }
        self.processors = processors;
        // Every sink writes JSON: a payload that is not JSON is the record's
        // fault, so it fails here, under `on_error`, before any delivery.
        // Sinks then find it checked and do not check again.
        batch.set_stage(Arc::from("source"));
        batch.apply(|record| match record.payload.validate_json() {
            Ok(()) => Verdict::Keep,
            Err(error) => Verdict::Fail(error.into()),
        });
        self.hold_back(&mut batch, stops, &mut noted);
        batch.into_parts()
    }

    /// Notes the stops of the failures since the last call (`noted` of them
    /// were seen before), and fails the records after them.
    fn hold_back(&self, batch: &mut Batch, stops: &mut ShardStops, noted: &mut usize) {
        for failure in &batch.failed()[*noted..] {
            if self.retries(failure.kind) {
                stops.note(&failure.record);
            }
        }
        *noted = batch.failed().len();
        if stops.is_empty() {
            return;
        }
        let (kept, held) = stops.hold_back(batch.take_records());
        for record in kept {
            batch.push(record);
        }
        for failed in held {
            batch.fail_with(failed.record, failed.error, failed.kind);
        }
        *noted = batch.failed().len();
    }
}
