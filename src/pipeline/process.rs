//! The second stage of a batch: the processors, in order, then the check
//! that what is left is JSON.

use std::sync::Arc;
use std::time::Instant;

use tributary_core::{Batch, BatchParts, Processor, Verdict};

use super::deadline::{is_past, past_deadline};
use super::metrics::ProcessorMetrics;

/// Runs the processors in order over `batch`. After each stage, the records
/// after their shard's first retried record leave the batch unprocessed (so
/// an aggregate never folds a record Lambda will deliver again). A processor
/// that fails the whole batch fails each record still in it; at the
/// deadline, what is left fails for retry. Adds to `measured` what each
/// processor that ran was given, left and took.
pub(super) fn process(
    processors: &mut [(Arc<str>, Box<dyn Processor>)],
    mut batch: Batch,
    deadline: Option<Instant>,
    measured: &mut Vec<ProcessorMetrics>,
) -> BatchParts {
    batch.hold_back();
    for (label, processor) in processors {
        batch.set_stage(label.clone());
        if is_past(deadline) {
            for record in batch.take_records() {
                let failed = past_deadline(record, label);
                batch.fail_with(failed.record, failed.error, failed.kind);
            }
            break;
        }
        let records_in = batch.len() as u64;
        let started = Instant::now();
        if let Err(error) = processor.process(&mut batch) {
            let message = error.to_string();
            for record in batch.take_records() {
                batch.fail(record, message.clone().into());
            }
        }
        measured.push(ProcessorMetrics {
            label: label.clone(),
            records_in,
            records_out: batch.len() as u64,
            time: started.elapsed(),
        });
        batch.hold_back();
    }
    // Every sink writes JSON: a payload that is not JSON is the record's
    // fault, so it fails here, under `on_error`, before any delivery. Sinks
    // then find it checked and do not check again.
    batch.set_stage(Arc::from("source"));
    batch.apply(|record| match record.payload.validate_json() {
        Ok(()) => Verdict::Keep,
        Err(error) => Verdict::Fail(error.into()),
    });
    batch.hold_back();
    batch.into_parts()
}
