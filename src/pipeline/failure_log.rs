//! Saying why records failed, without flooding the log.
//!
//! Each failure is logged at `debug`, with its shard, sequence number,
//! stage and reason, never its payload. At `warn`, a batch writes one line
//! for each stage and outcome: how many records, and the first one's place
//! and reason. A poison batch of ten thousand records that fail for one
//! reason is one line.

use std::sync::Arc;

use tributary_core::{FailedRecord, HeldBack};

/// The failures of the batch under way, grouped for its summary lines.
#[derive(Default)]
pub(super) struct FailureLog {
    groups: Vec<Group>,
}

/// The failures of one stage with one outcome.
struct Group {
    stage: Arc<str>,
    outcome: &'static str,
    count: u64,
    /// The first failure: its shard, sequence number and reason.
    shard: Arc<str>,
    sequence: String,
    error: String,
}

impl FailureLog {
    /// Logs one failure and what becomes of it at `debug`, and counts it for
    /// the batch's summary. Records held back behind their shard's failure
    /// are not logged one by one: the failure that stopped the shard is.
    pub(super) fn failed(&mut self, pipeline: &str, failure: &FailedRecord, outcome: &'static str) {
        if failure.error.is::<HeldBack>() {
            return;
        }
        let origin = &failure.record.origin;
        tracing::debug!(
            pipeline,
            stage = %failure.stage,
            shard = %origin.shard,
            sequence = %origin.sequence,
            sub_sequence = origin.sub_sequence,
            error = %failure.error,
            outcome,
            "record not processed"
        );
        let same = |group: &&mut Group| group.stage == failure.stage && group.outcome == outcome;
        match self.groups.iter_mut().find(same) {
            Some(group) => group.count += 1,
            None => self.groups.push(Group {
                stage: failure.stage.clone(),
                outcome,
                count: 1,
                shard: origin.shard.clone(),
                sequence: origin.sequence.clone(),
                error: failure.error.to_string(),
            }),
        }
    }

    /// Ends a batch: one line for each stage and outcome of its failures.
    pub(super) fn end_batch(&mut self, pipeline: &str) {
        for group in self.groups.drain(..) {
            tracing::warn!(
                pipeline,
                stage = %group.stage,
                outcome = group.outcome,
                records = group.count,
                first_shard = %group.shard,
                first_sequence = %group.sequence,
                first_error = %group.error,
                "records not processed (each is logged at debug)"
            );
        }
    }

    /// How many failures the batch's summary counts so far.
    #[cfg(test)]
    fn counted(&self) -> Vec<(&str, &str, u64)> {
        self.groups
            .iter()
            .map(|group| (&*group.stage, group.outcome, group.count))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tributary_core::{FailureKind, InputIndex, Origin, Payload, Record, SourceKind};

    use super::*;

    fn failure(stage: &str, error: tributary_core::BoxError) -> FailedRecord {
        let origin = Origin::new(SourceKind::Kinesis, "s", "shardId-0", "42");
        FailedRecord {
            record: Record::new(origin, Payload::from_bytes("x"), InputIndex(0)),
            stage: Arc::from(stage),
            error,
            kind: FailureKind::Record,
        }
    }

    #[test]
    fn a_flood_of_failures_is_one_summary_for_each_stage_and_outcome() {
        let mut log = FailureLog::default();
        for _ in 0..1000 {
            log.failed("p", &failure("events", "bad JSON".into()), "skipped");
        }
        log.failed(
            "p",
            &failure("search", "429".into()),
            "failed, Lambda will retry it",
        );
        log.failed(
            "p",
            &failure("events", "bad JSON".into()),
            "failed, Lambda will retry it",
        );
        assert_eq!(
            log.counted(),
            [
                ("events", "skipped", 1000),
                ("search", "failed, Lambda will retry it", 1),
                ("events", "failed, Lambda will retry it", 1),
            ]
        );
        log.end_batch("p");
        assert!(log.counted().is_empty());
    }

    #[test]
    fn records_held_back_behind_a_failure_are_not_logged_one_by_one() {
        let mut log = FailureLog::default();
        for _ in 0..1000 {
            log.failed("p", &failure("events", Box::new(HeldBack)), "failed");
        }
        assert!(log.counted().is_empty());
    }
}
