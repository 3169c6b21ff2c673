//! The error policy: what becomes of a record that failed, by the kind of
//! its failure. The batch, the runtime and replay all ask it, so the rule is
//! written once.

use crate::FailureKind;

/// What is done with a failed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// It is reported as failed, so that Lambda delivers it (and everything
    /// after it in its shard) again.
    Retry,
    /// It is dropped and counted as skipped.
    Skip,
    /// It goes to the dead-letter sink, with the reason.
    DeadLetter,
}

/// A pipeline's error policy: its `on_error`, and whether it has a
/// dead-letter sink. The default skips records at fault and has no
/// dead-letter sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPolicy {
    /// What `on_error` does with a record at fault ([`FailureKind::Record`]).
    pub record_failures: Disposition,
    /// Whether the pipeline has a dead-letter sink, which takes the records a
    /// sink refused for good.
    pub dead_letter_sink: bool,
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        ErrorPolicy {
            record_failures: Disposition::Skip,
            dead_letter_sink: false,
        }
    }
}

impl ErrorPolicy {
    /// What is done with a failure of this kind. A transient failure is
    /// always retried; a sink's refusal is dead-lettered when there is a
    /// dead-letter sink, else retried; a record at fault follows `on_error`.
    pub fn disposition(&self, kind: FailureKind) -> Disposition {
        match kind {
            FailureKind::Transient => Disposition::Retry,
            FailureKind::Rejected if self.dead_letter_sink => Disposition::DeadLetter,
            FailureKind::Rejected => Disposition::Retry,
            FailureKind::Record => self.record_failures,
        }
    }

    /// Whether any failure can be dead-lettered: if not, nothing needs to
    /// be kept for a dead letter.
    pub fn may_dead_letter(&self) -> bool {
        self.dead_letter_sink || self.record_failures == Disposition::DeadLetter
    }

    /// Whether a failure of this kind is reported to Lambda for retry, and
    /// so stops its shard.
    pub fn retries(&self, kind: FailureKind) -> bool {
        self.disposition(kind) == Disposition::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_disposition() {
        let skip_without_sink = ErrorPolicy {
            record_failures: Disposition::Skip,
            dead_letter_sink: false,
        };
        assert_eq!(
            skip_without_sink.disposition(FailureKind::Record),
            Disposition::Skip
        );
        assert!(skip_without_sink.retries(FailureKind::Rejected));
        assert!(skip_without_sink.retries(FailureKind::Transient));
        let letters = ErrorPolicy {
            record_failures: Disposition::DeadLetter,
            dead_letter_sink: true,
        };
        assert_eq!(
            letters.disposition(FailureKind::Rejected),
            Disposition::DeadLetter
        );
        assert!(letters.retries(FailureKind::Transient));
        assert!(!ErrorPolicy::default().retries(FailureKind::Record));
        // Only a policy whose failures can become dead letters needs the
        // inputs' bytes kept for them.
        assert!(letters.may_dead_letter());
        assert!(!skip_without_sink.may_dead_letter());
        let retry_with_sink = ErrorPolicy {
            record_failures: Disposition::Retry,
            dead_letter_sink: true,
        };
        assert!(retry_with_sink.may_dead_letter());
    }
}
