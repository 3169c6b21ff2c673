//! The first stage of a batch: source records to records, with the source's
//! codec.

use std::sync::Arc;

use bytes::Bytes;
use tributary_connectors::sources::{
    Codec, DecompressionBudget, SourceConfig, SourceRecord, document_id_of, log_event_record,
};
use tributary_core::{Batch, ErrorPolicy, FailureKind, InputIndex, Origin, Payload, Record};

/// What the pipeline keeps of its inputs' bytes while a batch runs, for
/// dead letters, by input index. An input is a source record, or one log
/// event of a CloudWatch Logs message: each is accounted on its own, as KPL
/// user records are. Their origins are the batch's ([`Batch::add_input`]).
#[derive(Default)]
pub(super) struct InputData {
    data: Vec<InputBytes>,
}

impl InputData {
    /// Adds an input to the batch; gives its index.
    fn add(&mut self, batch: &mut Batch, data: InputBytes, origin: Arc<Origin>) -> InputIndex {
        self.data.push(data);
        batch.add_input(origin)
    }

    /// How many inputs there are.
    fn len(&self) -> usize {
        self.data.len()
    }

    /// The bytes a dead letter of `input` carries, if it is an input.
    pub(super) fn for_dead_letter(&self, input: InputIndex) -> Option<Bytes> {
        self.data
            .get(input.0 as usize)
            .map(InputBytes::for_dead_letter)
    }
}

/// An input's bytes, kept for its dead letter.
enum InputBytes {
    /// As the source delivered them.
    Delivered(Bytes),
    /// One log event of a CloudWatch Logs message, as its payload's JSON.
    LogEvent(Bytes),
}

impl InputBytes {
    /// The bytes a dead letter carries: what, sent through the pipeline
    /// again, gives the same input (a log event alone in a message of its
    /// own).
    fn for_dead_letter(&self) -> Bytes {
        match self {
            InputBytes::Delivered(bytes) => bytes.clone(),
            InputBytes::LogEvent(payload) => log_event_record(payload),
        }
    }
}

/// Turns source records into a batch with the source's codec; records that
/// cannot be read or decoded fail at stage `source`, under `policy`. Each
/// log event of a CloudWatch Logs message becomes an input of its own, with
/// the message's sequence number and its position as sub-sequence. What is
/// decompressed is bounded by the invocation's `budget`; a record past it
/// fails for retry. For DynamoDB Streams, each record gets its item's
/// document id, and earlier changes to an item that changes again later in
/// the batch are dropped, when the source collapses them.
pub(super) fn decode(
    source: &SourceConfig,
    budget: &DecompressionBudget,
    policy: ErrorPolicy,
    inputs: Vec<SourceRecord>,
) -> (Batch, InputData) {
    let codec = source.codec();
    let input_per_payload = codec == Codec::CloudwatchLogs;
    let keep_for_dead_letters = policy.may_dead_letter();
    let mut budget = budget.fresh();
    let superseded = source.superseded(&inputs);
    let mut batch = Batch::new(Vec::with_capacity(inputs.len()));
    batch.set_error_policy(policy);
    batch.set_stage(Arc::from("source"));
    let mut kept = InputData {
        data: Vec::with_capacity(inputs.len()),
    };
    for (index, input) in inputs.into_iter().enumerate() {
        let SourceRecord {
            origin,
            data,
            data_is_json,
            error,
            raw,
        } = input;
        let origin = Arc::new(origin);
        // What the source gave (for DynamoDB, the `dynamodb` object), so a
        // dead letter replays as the same record; nothing, when the
        // pipeline cannot dead-letter.
        let original = raw.unwrap_or_else(|| {
            if keep_for_dead_letters {
                data.clone()
            } else {
                Bytes::new()
            }
        });
        if superseded.get(index).copied().unwrap_or(false) {
            kept.add(&mut batch, InputBytes::Delivered(original), origin);
            continue;
        }
        let first = kept.len();
        // Each way either makes the input's bytes an input, or gives them
        // back.
        let (decoded, unused) = match error {
            Some(error) => (Err(error), Some(original)),
            None if input_per_payload => {
                let decoded = codec.decode(data, data_is_json, &mut budget, |payload| {
                    let mut event = Origin::clone(&origin);
                    event.sub_sequence = Some((kept.len() - first) as u64);
                    let event = Arc::new(event);
                    let bytes = InputBytes::LogEvent(payload.to_bytes());
                    let input_index = kept.add(&mut batch, bytes, event.clone());
                    batch.push(Record::new(event, payload, input_index));
                });
                (decoded, Some(original))
            }
            None => {
                let id = document_id_of(&origin);
                let bytes = InputBytes::Delivered(original);
                let input_index = kept.add(&mut batch, bytes, origin.clone());
                let decoded = codec.decode(data, data_is_json, &mut budget, |payload| {
                    let mut record = Record::new(origin.clone(), payload, input_index);
                    record.document_id = id.clone();
                    batch.push(record);
                });
                (decoded, None)
            }
        };
        // A message that gave no log event (a control message, or one that
        // failed) is one input of its own.
        if let Some(original) = unused
            && kept.len() == first
        {
            kept.add(&mut batch, InputBytes::Delivered(original), origin.clone());
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
