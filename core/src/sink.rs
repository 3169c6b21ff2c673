//! The trait sinks implement, and what they say of the records they could
//! not deliver.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use crate::{BoxError, Record};

/// A boxed future, as [`Sink`] methods return them so sinks can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An error shared by every record it concerns (one failed request fails
/// all its records), so it is cheap to clone.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync>;

/// Where a pipeline's output goes: a file, OpenSearch, a stream.
///
/// A sink reports every record it could not deliver, by its index in the
/// slice it was given; all others count as delivered once `deliver` returns.
/// Retrying inside the sink is the sink's business; what it reports as failed
/// is final for this invocation.
pub trait Sink: Send {
    /// Delivers the records, returning the ones that failed. `deadline` is
    /// when the call must be over (the invocation's, less its margin), so
    /// that a sink stops retrying in time; `None` is no deadline. Sinks that
    /// do not retry ignore it.
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery>;

    /// Makes everything delivered so far durable, for sinks that buffer.
    fn flush(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async { Ok(()) })
    }

    /// What the sink sent since it was last asked, and starts counting
    /// again: the numbers behind its metrics. A sink that sends no requests
    /// counts only bytes, or nothing.
    fn take_stats(&mut self) -> SinkStats {
        SinkStats::default()
    }
}

/// What a sink sent over some deliveries: the part of its metrics only the
/// sink knows. What became of each record the pipeline counts itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Bytes sent or written, every attempt counted.
    pub bytes: u64,
    /// Requests sent, every attempt counted.
    pub requests: u64,
    /// Items sent again after they were refused for now.
    pub retries: u64,
    /// Items the destination refused because it was throttling or out of
    /// capacity (HTTP 429, 402, 503), every attempt counted.
    pub throttled: u64,
}

impl std::ops::AddAssign for SinkStats {
    fn add_assign(&mut self, other: SinkStats) {
        self.bytes += other.bytes;
        self.requests += other.requests;
        self.retries += other.retries;
        self.throttled += other.throttled;
    }
}

/// The result of one [`Sink::deliver`] call.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The records that were not delivered.
    pub failures: Vec<DeliveryFailure>,
}

/// One record a sink could not deliver.
#[derive(Debug)]
pub struct DeliveryFailure {
    /// The record's index in the slice given to [`Sink::deliver`].
    pub index: usize,
    /// Why it failed; whether trying again later may succeed follows from
    /// it ([`SinkError::is_transient`]).
    pub error: SinkError,
}

impl DeliveryFailure {
    /// Whether trying again later may succeed (throttling, a timeout), as
    /// opposed to a rejection of the record itself.
    pub fn transient(&self) -> bool {
        self.error.is_transient()
    }
}

/// Why a sink did not deliver a record. The text of each is the whole
/// message the pipeline logs and dead-letters.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SinkError {
    /// The record cannot become a request to this sink as it is (no index
    /// name, no id for a delete, a payload that is not JSON): sending it
    /// again will not help.
    #[error("{0}")]
    Unsendable(String),
    /// The destination refused the record for good, in its own words (a
    /// mapping error, a malformed document).
    #[error("{0}")]
    Rejected(String),
    /// The destination refused the record for now, in its own words
    /// (throttled, out of capacity, a server error): it may take it later.
    #[error("{0}")]
    RefusedForNow(String),
    /// The destination gave no usable answer: the connection failed or was
    /// cut, the request timed out, or the answer did not say what became of
    /// the record.
    #[error(transparent)]
    NoAnswer(SharedError),
    /// The sink could not connect to its destination (no endpoint, no
    /// credentials), so nothing was sent.
    #[error(transparent)]
    Connect(SharedError),
    /// Writing to the destination failed (a full disk, a closed pipe).
    #[error(transparent)]
    Write(SharedError),
    /// The record was sent and refused for now until the sink was out of
    /// attempts, or of time before the deadline; `last` is the last refusal.
    #[error("{last} (gave up after {attempts} attempt(s))")]
    GaveUp {
        /// The last reason it was refused.
        last: Box<SinkError>,
        /// How many times it was sent.
        attempts: u32,
    },
    /// Not sent, because an earlier change of the same document in the
    /// batch failed for now: a later change is never stored before an
    /// earlier one.
    #[error(
        "not sent: an earlier change of this document in the batch failed, and a later change \
         is never stored before an earlier one; Lambda retries both, in order"
    )]
    EarlierChangeFailed,
}

impl SinkError {
    /// Whether trying again later may succeed (throttling, a timeout, no
    /// connection), as opposed to a rejection of the record itself.
    pub fn is_transient(&self) -> bool {
        match self {
            SinkError::Unsendable(_) | SinkError::Rejected(_) => false,
            SinkError::RefusedForNow(_)
            | SinkError::NoAnswer(_)
            | SinkError::Connect(_)
            | SinkError::Write(_)
            | SinkError::GaveUp { .. }
            | SinkError::EarlierChangeFailed => true,
        }
    }
}

impl Delivery {
    /// A delivery in which each of `count` records failed transiently for
    /// want of an answer ([`SinkError::NoAnswer`]), with an error made by
    /// `error`: a sink that did not answer before the deadline.
    pub fn all_failed(count: usize, mut error: impl FnMut() -> BoxError) -> Self {
        Delivery {
            failures: (0..count)
                .map(|index| DeliveryFailure {
                    index,
                    error: SinkError::NoAnswer(Arc::from(error())),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rejections_of_the_record_itself_are_final() {
        let reason = || "OpenSearch answered 429 (busy: busy)".to_owned();
        assert!(!SinkError::Unsendable(reason()).is_transient());
        assert!(!SinkError::Rejected(reason()).is_transient());
        assert!(SinkError::RefusedForNow(reason()).is_transient());
        assert!(SinkError::EarlierChangeFailed.is_transient());
        let gave_up = SinkError::GaveUp {
            last: Box::new(SinkError::RefusedForNow(reason())),
            attempts: 3,
        };
        assert!(gave_up.is_transient());
        assert_eq!(
            gave_up.to_string(),
            "OpenSearch answered 429 (busy: busy) (gave up after 3 attempt(s))"
        );
        let late = Delivery::all_failed(2, || "too late".into());
        assert_eq!(late.failures.len(), 2);
        assert!(late.failures.iter().all(DeliveryFailure::transient));
        assert_eq!(late.failures[1].error.to_string(), "too late");
    }
}
