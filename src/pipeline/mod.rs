//! A pipeline, from its checked plan to the batches it runs.
//!
//! [`Plan`] is a pipeline file with every component's options checked and the
//! processors built; it opens nothing, so `tributary validate` stops there.
//! [`Plan::start`] opens the sinks and gives a [`Pipeline`], which runs one
//! batch of source records at a time and returns a [`BatchOutcome`] that
//! accounts for each input record.

mod dead_letter;
mod decode;
mod failure_log;
mod outcome;
mod plan;
mod run;
mod settle;
mod stops;

pub use outcome::{BatchOutcome, Fate, Totals};
pub use plan::Plan;
pub use run::{BatchContext, Pipeline};

#[cfg(test)]
mod tests;
