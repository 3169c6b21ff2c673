//! Dead letters: a failed record's original bytes, its origin and the reason,
//! as one line in the recording format with an `error` object beside it.

use bytes::Bytes;
use serde::Serialize;
use tributary_connectors::recording::encode_record;
use tributary_core::{FailedRecord, Payload, Record};

#[derive(Serialize)]
struct Reason<'a> {
    stage: &'a str,
    message: String,
}

/// The dead letter for a failed record whose input bytes were `input`.
pub(super) fn dead_letter(failed: &FailedRecord, input: &Bytes) -> Record {
    let mut line = Vec::with_capacity(input.len() + 256);
    let reason = Reason {
        stage: &failed.stage,
        message: failed.error.to_string(),
    };
    encode_record(&mut line, &failed.record.origin, input, Some(reason));
    Record::new(
        failed.record.origin.clone(),
        Payload::from_json_text(line),
        failed.record.input,
    )
}
