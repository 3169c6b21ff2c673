//! A pipeline, from its checked plan to the batches it runs.
//!
//! [`Plan`] is a pipeline file with every component's options checked and the
//! processors built; it opens nothing, so `tributary validate` stops there.
//! [`Plan::start`] opens the sinks and gives a [`Pipeline`], which runs one
//! batch of source records at a time and returns a [`BatchOutcome`] that
//! accounts for each input record.
//!
//! A batch goes through four stages, each in its own module, in this order:
//! [`decode`] (source records to records), [`process`] (the processors),
//! [`route`] and [`deliver`] (the sinks) and [`settle`] (the error policy and dead
//! letters). [`run`] calls them; none of them calls back.

mod clock;
mod dead_letter;
mod deadline;
mod decode;
mod deliver;
mod failure_log;
mod metrics;
mod outcome;
mod plan;
mod process;
mod route;
mod run;
mod settle;

pub use clock::Clock;
pub use metrics::{
    BatchMetrics, DEAD_LETTER_SAMPLES, DeadLetterSample, DeliveryTotals, Latencies,
    ProcessorMetrics, SinkMetrics, SinkTotals,
};
pub use outcome::{BatchOutcome, Fate, Totals, WholeFailure};
pub use plan::Plan;
pub use run::{BatchContext, Pipeline};

#[cfg(test)]
mod tests;
