//! The invocation's deadline: past it, what is left fails for retry.

use std::sync::Arc;
use std::time::Instant;

use tributary_core::{BoxError, FailedRecord, FailureKind, Record};

/// Whether `deadline` has come.
pub(super) fn is_past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() >= deadline)
}

/// Why a record the deadline stopped failed.
pub(super) fn deadline_error() -> BoxError {
    "not processed before the invocation's deadline; Lambda retries it".into()
}

/// A record that the deadline stopped at `stage`.
pub(super) fn past_deadline(record: Record, stage: &str) -> FailedRecord {
    FailedRecord {
        record,
        stage: Arc::from(stage),
        error: deadline_error(),
        kind: FailureKind::Transient,
    }
}
