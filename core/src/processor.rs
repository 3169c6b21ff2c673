//! The traits processors implement.

use crate::{Batch, BoxError, Record, Verdict};

/// A step of a pipeline: it transforms a batch of records in place.
///
/// Processors run in the order the pipeline lists them, each on the whole
/// batch, so a processor that needs the batch at once (dedupe, aggregate) sees
/// it. Processors that decide one record at a time implement
/// [`RecordProcessor`] instead and get this trait for free; a type implements
/// one or the other, never both.
///
/// A processor must account for every record it takes out: drop it on purpose
/// ([`Verdict::Drop`], [`Batch::count_dropped`]) or fail it ([`Batch::fail`]).
/// An `Err` fails the whole batch and is for faults of the processor itself,
/// not of one record.
///
/// ```
/// use tributary_core::{Batch, BoxError, Processor};
///
/// /// Keeps the first `limit` records of each batch.
/// struct Head { limit: usize }
///
/// impl Processor for Head {
///     fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
///         let mut seen = 0;
///         batch.apply(|_| {
///             seen += 1;
///             if seen <= self.limit { tributary_core::Verdict::Keep } else { tributary_core::Verdict::Drop }
///         });
///         Ok(())
///     }
/// }
/// ```
pub trait Processor: Send {
    /// Processes one batch in place.
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError>;

    /// Whether the processor works on Lambda's tumbling window, so that an
    /// invocation without one cannot be processed at all (the event source
    /// mapping lacks its window) and fails as a whole, saying so, instead of
    /// failing each record. Default: no.
    fn needs_window(&self) -> bool {
        false
    }
}

/// A processor that decides one record at a time, with no state across records
/// of a batch beyond its own fields.
pub trait RecordProcessor: Send {
    /// Decides what happens to one record; it may change the record in place.
    fn process_record(&mut self, record: &mut Record) -> Verdict;
}

impl<T: RecordProcessor> Processor for T {
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        batch.apply(|record| self.process_record(record));
        Ok(())
    }
}
