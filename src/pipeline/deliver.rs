//! The third stage of a batch: every sink, each bounded by the deadline.

use std::sync::Arc;
use std::time::Instant;

use tributary_core::{BoxError, Delivery, FailedRecord, FailureKind, Record, Sink};

use super::deadline::{deadline_error, is_past, past_deadline};

/// Hands the records to every sink; gives, by record, whether some sink did
/// not take it, and adds what each sink refused to `failed`. Past the
/// deadline, no sink is tried.
pub(super) async fn deliver(
    sinks: &mut [(Arc<str>, Box<dyn Sink>)],
    records: &mut Vec<Record>,
    failed: &mut Vec<FailedRecord>,
    deadline: Option<Instant>,
) -> Vec<bool> {
    if is_past(deadline) {
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
    for (name, sink) in sinks {
        let delivery = deliver_within(sink.as_mut(), records, deadline, deadline_error).await;
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

/// One sink's delivery, cut off at the deadline: a sink that has not
/// answered by then has failed each record, with the error `late` makes.
pub(super) async fn deliver_within(
    sink: &mut dyn Sink,
    records: &mut [Record],
    deadline: Option<Instant>,
    late: fn() -> BoxError,
) -> Delivery {
    let count = records.len();
    match deadline {
        Some(at) => tokio::time::timeout_at(at.into(), sink.deliver(records, deadline))
            .await
            .unwrap_or_else(|_| Delivery::all_failed(count, late)),
        None => sink.deliver(records, None).await,
    }
}
