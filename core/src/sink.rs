//! The trait sinks implement.

use std::future::Future;
use std::pin::Pin;

use crate::{BoxError, Record};

/// A boxed future, as [`Sink`] methods return them so sinks can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a pipeline's output goes: a file, OpenSearch, a stream.
///
/// A sink reports every record it could not deliver, by its index in the
/// slice it was given; all others count as delivered once `deliver` returns.
/// Retrying inside the sink is the sink's business; what it reports as failed
/// is final for this invocation.
pub trait Sink: Send {
    /// Delivers the records, returning the ones that failed.
    fn deliver<'a>(&'a mut self, records: &'a mut [Record]) -> BoxFuture<'a, Delivery>;

    /// Tells the sink when the next [`Sink::deliver`] must be over, so that it
    /// stops retrying in time. Sinks that do not retry ignore it.
    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        let _ = deadline;
    }

    /// Makes everything delivered so far durable, for sinks that buffer.
    fn flush(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async { Ok(()) })
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
    /// Why it failed.
    pub error: BoxError,
    /// Whether trying again later may succeed (throttling, a timeout), as
    /// opposed to a rejection of the record itself.
    pub transient: bool,
}

impl Delivery {
    /// A delivery in which each of `count` records failed transiently, with
    /// an error made by `error`.
    pub fn all_failed(count: usize, mut error: impl FnMut() -> BoxError) -> Self {
        Delivery {
            failures: (0..count)
                .map(|index| DeliveryFailure {
                    index,
                    error: error(),
                    transient: true,
                })
                .collect(),
        }
    }
}
