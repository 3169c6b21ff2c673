//! Saying why records failed, without flooding the log.
//!
//! Every failure that is retried, skipped or not dead-lettered is logged
//! with its shard, sequence number, stage and reason (never the payload).
//! A poison batch can fail thousands of records for one reason, so lines
//! are rate-limited per function instance; what the limit holds back is
//! counted, and one line per batch says how many.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tributary_core::{FailedRecord, HeldBack};

/// Failure lines a second, in the long run.
const LINES_PER_SECOND: u32 = 10;
/// Failure lines at once, after a quiet spell.
const BURST: u32 = 50;

/// The rate-limited log of record failures.
pub(super) struct FailureLog {
    limiter: DefaultDirectRateLimiter,
    held_back: u64,
}

impl Default for FailureLog {
    fn default() -> Self {
        let per_second = NonZeroU32::new(LINES_PER_SECOND).expect("not zero");
        let burst = NonZeroU32::new(BURST).expect("not zero");
        FailureLog {
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            held_back: 0,
        }
    }
}

impl FailureLog {
    /// Logs one failure and what becomes of it, if the rate allows. Records
    /// held back behind their shard's failure are not logged one by one:
    /// the failure that stopped the shard is.
    pub(super) fn failed(&mut self, pipeline: &str, failure: &FailedRecord, outcome: &str) {
        if failure.error.is::<HeldBack>() {
            return;
        }
        if self.limiter.check().is_err() {
            self.held_back += 1;
            return;
        }
        let origin = &failure.record.origin;
        tracing::warn!(
            pipeline,
            stage = %failure.stage,
            shard = %origin.shard,
            sequence = %origin.sequence,
            sub_sequence = origin.sub_sequence,
            error = %failure.error,
            outcome,
            "record not processed"
        );
    }

    /// Ends a batch: says how many failures the rate limit kept out of the log.
    pub(super) fn end_batch(&mut self, pipeline: &str) {
        if self.held_back > 0 {
            tracing::warn!(
                pipeline,
                not_logged = self.held_back,
                "more records failed than are logged one by one (at most {LINES_PER_SECOND} a second, {BURST} at once); the batch's totals count them all"
            );
            self.held_back = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tributary_core::{FailureKind, InputIndex, Origin, Payload, Record, SourceKind};

    use super::*;

    fn failure(error: tributary_core::BoxError) -> FailedRecord {
        let origin = Origin::new(SourceKind::Kinesis, "s", "shardId-0", "42");
        FailedRecord {
            record: Record::new(origin, Payload::from_bytes("x"), InputIndex(0)),
            stage: Arc::from("events"),
            error,
            kind: FailureKind::Record,
        }
    }

    #[test]
    fn a_flood_of_failures_is_logged_up_to_the_burst_and_counted() {
        let mut log = FailureLog::default();
        for _ in 0..1000 {
            log.failed("p", &failure("bad JSON".into()), "failed");
        }
        // The burst goes out at once; a few more may trickle in meanwhile.
        assert!(
            (950..=1000 - BURST as u64).contains(&log.held_back),
            "{}",
            log.held_back
        );
        log.end_batch("p");
        assert_eq!(log.held_back, 0);
    }

    #[test]
    fn records_held_back_behind_a_failure_are_not_logged_one_by_one() {
        let mut log = FailureLog::default();
        for _ in 0..1000 {
            log.failed("p", &failure(Box::new(HeldBack)), "failed");
        }
        assert_eq!(log.held_back, 0);
    }
}
