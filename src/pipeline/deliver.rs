//! The third stage of a batch: every sink, each bounded by the deadline.

use std::sync::Arc;
use std::time::Instant;

use tributary_core::{BoxError, Delivery, FailedRecord, FailureKind, Record, Sink};

use super::clock::Clock;
use super::deadline::{deadline_error, is_past, past_deadline};
use super::metrics::SinkMetrics;
use super::route::{SinkSet, takes};

/// Where a delivery reports what it measured.
pub(super) struct Measure<'a> {
    /// The clock latencies are measured against.
    pub(super) clock: Clock,
    /// Each sink's metrics, added as it delivers.
    pub(super) sinks: &'a mut Vec<SinkMetrics>,
}

/// Hands the records to every sink (or, with routes, each record to the
/// sinks in its [`SinkSet`]); gives, by record, whether some sink did not
/// take it, and adds what each sink refused to `failed`. Past the
/// deadline, no sink is tried.
pub(super) async fn deliver(
    sinks: &mut [(Arc<str>, Box<dyn Sink>)],
    records: &mut Vec<Record>,
    routes: Option<&[SinkSet]>,
    failed: &mut Vec<FailedRecord>,
    deadline: Option<Instant>,
    measure: Measure<'_>,
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
    for (sink_index, (name, sink)) in sinks.iter_mut().enumerate() {
        // The records this sink takes, by their index in `records`: all of
        // them, or a copy of those its route picks.
        let picked: Option<Vec<usize>> = routes
            .map(|sinks_of| {
                (0..records.len())
                    .filter(|&i| takes(sinks_of[i], sink_index))
                    .collect::<Vec<_>>()
            })
            .filter(|picked| picked.len() < records.len());
        let started = Instant::now();
        let (delivery, subset) = match &picked {
            None => {
                let delivery =
                    deliver_within(sink.as_mut(), records, deadline, deadline_error).await;
                (delivery, None)
            }
            Some(picked) if picked.is_empty() => continue,
            Some(picked) => {
                let mut subset: Vec<Record> = picked.iter().map(|&i| records[i].clone()).collect();
                let delivery =
                    deliver_within(sink.as_mut(), &mut subset, deadline, deadline_error).await;
                (delivery, Some(subset))
            }
        };
        measure.sinks.push(SinkMetrics::of(
            name,
            subset.as_deref().unwrap_or(records),
            &delivery,
            started.elapsed(),
            sink.take_stats(),
            measure.clock.now_ms(),
        ));
        for failure in delivery.failures {
            // The failed record's index in `records`.
            let index = match &picked {
                None => Some(failure.index),
                Some(picked) => picked.get(failure.index).copied(),
            };
            let Some(index) = index.filter(|&i| i < sink_failed.len()) else {
                continue;
            };
            sink_failed[index] = true;
            let kind = if failure.transient() {
                FailureKind::Transient
            } else {
                FailureKind::Rejected
            };
            failed.push(FailedRecord {
                record: records[index].clone(),
                stage: name.clone(),
                error: failure.error.into(),
                kind,
            });
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
