//! What the S3 sink sends again: S3's throttling (503 `SlowDown`, 429),
//! its server errors (500 `InternalError`, 503), timeouts (408, 400
//! `RequestTimeout`), credentials that expired on the way, and requests that
//! got no answer (a reset connection, a timeout). Everything else S3 answers
//! (`AccessDenied`, `NoSuchBucket`, a wrong region) is final.

use std::sync::Arc;

use tributary_core::SinkError;

use super::error::PutError;
use super::request::PutRequest;
use crate::sinks::layers::{Outcome, RetryLogic};

/// Reads each PutObject answer into what became of its object.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct S3RetryLogic;

/// The error codes S3 (or its credentials) answers that are worth trying
/// again, whatever the status.
const RETRYABLE_CODES: [&str; 9] = [
    "SlowDown",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "RequestTimeTooSkewed",
    "ExpiredToken",
    "TokenRefreshRequired",
];

/// Whether an answer of S3 is worth trying again.
pub(super) fn is_retryable(status: u16, code: &str) -> bool {
    matches!(status, 408 | 429) || status >= 500 || RETRYABLE_CODES.contains(&code)
}

/// Whether an answer of S3 says it is throttling: 503 `SlowDown`, 429, or a
/// throttling code.
fn is_throttling(status: u16, code: &str) -> bool {
    matches!(status, 429 | 503) || matches!(code, "SlowDown" | "Throttling" | "ThrottlingException")
}

impl RetryLogic<PutRequest<'_>, Result<(), PutError>> for S3RetryLogic {
    fn outcomes(&self, request: &PutRequest<'_>, answer: Result<(), PutError>) -> Vec<Outcome> {
        vec![outcome(&request.object.key, answer)]
    }
}

/// What became of the object at `key`.
fn outcome(key: &str, answer: Result<(), PutError>) -> Outcome {
    let error = match answer {
        Ok(()) => return Outcome::Delivered,
        Err(error) => error,
    };
    let reason = format!("PutObject `{key}`: {error}");
    match &error {
        PutError::Refused { status, code, .. } if is_throttling(*status, code) => {
            Outcome::Throttled(SinkError::RefusedForNow(reason))
        }
        PutError::Refused { status, code, .. } if is_retryable(*status, code) => {
            Outcome::Retry(SinkError::RefusedForNow(reason))
        }
        PutError::Refused { .. } => Outcome::Failed(SinkError::Rejected(reason)),
        PutError::NoAnswer(_) | PutError::TimedOut(_) => {
            Outcome::Retry(SinkError::NoAnswer(Arc::new(KeyedError(reason))))
        }
        // Nothing was sent and sending again the same way will not help
        // now; the records are not at fault, so Lambda retries them.
        PutError::NotMade(_) => Outcome::Failed(SinkError::Connect(Arc::new(KeyedError(reason)))),
    }
}

/// An error message that names the object, for the errors shared as
/// [`SharedError`](tributary_core::SharedError).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct KeyedError(String);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sinks::layers::Elapsed;

    fn refused(status: u16, code: &str) -> PutError {
        PutError::Refused {
            status,
            code: code.to_owned(),
            message: "as S3 says".to_owned(),
        }
    }

    /// The outcome as `done`, `retry: reason`, or `failed (transient|final): reason`.
    fn read(answer: Result<(), PutError>) -> String {
        match outcome("raw/s-1.jsonl.gz", answer) {
            Outcome::Delivered => "done".to_owned(),
            Outcome::Retry(error) => format!("retry: {error}"),
            Outcome::Throttled(error) => format!("throttled: {error}"),
            Outcome::Failed(error) if error.is_transient() => {
                format!("failed (transient): {error}")
            }
            Outcome::Failed(error) => format!("failed (final): {error}"),
        }
    }

    #[test]
    fn throttling_server_errors_and_no_answer_are_sent_again() {
        assert_eq!(read(Ok(())), "done");
        assert_eq!(
            read(Err(refused(503, "SlowDown"))),
            "throttled: PutObject `raw/s-1.jsonl.gz`: S3 answered 503 SlowDown: as S3 says"
        );
        assert!(read(Err(refused(429, "TooManyRequests"))).starts_with("throttled: "));
        assert!(read(Err(refused(400, "ThrottlingException"))).starts_with("throttled: "));
        for (status, code) in [
            (500, "InternalError"),
            (400, "RequestTimeout"),
            (400, "ExpiredToken"),
            (502, ""),
        ] {
            assert!(
                read(Err(refused(status, code))).starts_with("retry: "),
                "{status} {code}"
            );
        }
        assert_eq!(
            read(Err(PutError::NoAnswer("connection reset by peer".into()))),
            "retry: PutObject `raw/s-1.jsonl.gz`: no answer from S3: connection reset by peer"
        );
        let elapsed = Elapsed {
            after: Duration::from_millis(400),
        };
        assert_eq!(
            read(Err(PutError::TimedOut(elapsed))),
            "retry: PutObject `raw/s-1.jsonl.gz`: no answer from S3: no answer within 400 ms"
        );
    }

    #[test]
    fn refusals_of_the_request_itself_are_final() {
        for (status, code) in [
            (403, "AccessDenied"),
            (404, "NoSuchBucket"),
            (301, "PermanentRedirect"),
            (400, "InvalidRequest"),
        ] {
            let read = read(Err(refused(status, code)));
            assert!(
                read.starts_with(&format!(
                    "failed (final): PutObject `raw/s-1.jsonl.gz`: S3 answered {status} {code}"
                )),
                "{read}"
            );
        }
        assert_eq!(
            read(Err(PutError::NotMade("no credentials".into()))),
            "failed (transient): PutObject `raw/s-1.jsonl.gz`: the PutObject request could not be made: no credentials"
        );
    }
}
