//! Routing, between processing and delivery: which sinks take which
//! records, by each sink's `when`, and what becomes of a record no sink
//! takes (`[pipeline] unrouted`).
//!
//! A sink without `when` takes every record. A record is delivered once
//! every sink that takes it has; if one of them fails it, the error policy
//! decides, and under `retry` Lambda redelivers it to all of its sinks
//! again, which document ids and deterministic keys make harmless.

use std::sync::Arc;

use tributary_config::Unrouted;
use tributary_core::{FailedRecord, FailureKind, Record};
use tributary_processors::filter::{Pattern, PatternSet};

/// The most sinks a pipeline with routes may have: a record's sinks are
/// the bits of a `u64`.
pub const MAX_ROUTED_SINKS: usize = 64;

/// The sinks' routes, in the order of the pipeline's sinks.
pub(super) struct Routes {
    /// Each sink's `when`, or `None` for a sink that takes every record.
    patterns: Vec<Option<PatternSet>>,
    unrouted: Unrouted,
}

/// The sinks that take one record, as bits: bit `i` for sink `i`.
pub(super) type SinkSet = u64;

impl Routes {
    /// Routes from each sink's pattern, in sink order.
    pub(super) fn new(patterns: Vec<Option<Pattern>>, unrouted: Unrouted) -> Self {
        assert!(patterns.len() <= MAX_ROUTED_SINKS || patterns.iter().all(Option::is_none));
        Routes {
            patterns: patterns
                .into_iter()
                .map(|p| p.map(|p| PatternSet::new([p])))
                .collect(),
            unrouted,
        }
    }

    /// Whether any sink has a route: without one, every sink takes every
    /// record and nothing needs deciding.
    pub(super) fn any(&self) -> bool {
        self.patterns.iter().any(Option::is_some)
    }

    /// Decides the sinks of each record. The records no sink takes leave
    /// `records`: dropped on purpose, or failed for the dead-letter sink
    /// (`unrouted = "dead-letter"`). A record whose payload cannot be read
    /// where a route looks fails as a filter would fail it. Gives the sinks
    /// of each record left, in order.
    pub(super) fn route(
        &mut self,
        records: &mut Vec<Record>,
        failed: &mut Vec<FailedRecord>,
    ) -> Vec<SinkSet> {
        let stage: Arc<str> = Arc::from("route");
        let mut kept = Vec::with_capacity(records.len());
        let mut sinks_of = Vec::with_capacity(records.len());
        for mut record in records.drain(..) {
            let mut sinks: SinkSet = 0;
            let mut error = None;
            for (index, pattern) in self.patterns.iter_mut().enumerate() {
                let takes = match pattern {
                    None => true,
                    Some(pattern) => match pattern.matches_record(&mut record) {
                        Ok(matched) => matched,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    },
                };
                if takes {
                    sinks |= 1 << index;
                }
            }
            if let Some(error) = error {
                failed.push(FailedRecord {
                    record,
                    stage: stage.clone(),
                    error,
                    kind: FailureKind::Record,
                });
                continue;
            }
            if sinks != 0 {
                kept.push(record);
                sinks_of.push(sinks);
                continue;
            }
            match self.unrouted {
                Unrouted::Drop => {
                    tracing::debug!(record = %record.origin, reason = "unrouted", "dropped: no sink's `when` takes it");
                }
                Unrouted::DeadLetter => failed.push(FailedRecord {
                    record,
                    stage: stage.clone(),
                    error: "no sink's `when` takes the record (`unrouted = \"dead-letter\"`)"
                        .into(),
                    kind: FailureKind::Rejected,
                }),
            }
        }
        *records = kept;
        sinks_of
    }
}

/// Whether sink `index` takes a record with these sinks.
pub(super) fn takes(sinks: SinkSet, index: usize) -> bool {
    sinks & (1 << index) != 0
}
