//! tributary runs stream-processing pipelines on AWS Lambda: a source
//! (Kinesis, DynamoDB Streams, EventBridge), a chain of processors, and one or
//! more sinks, declared in TOML.
//!
//! This package is the glue; it holds no processing logic. It turns a
//! pipeline file into a running [`Pipeline`] (through a checked [`Plan`]),
//! drives batches through it and accounts for every record, replays
//! recordings the way Lambda delivers streams ([`replay`]), and offers the
//! command line ([`cli`]). The processors live in `tributary-processors`, the
//! sources and sinks in `tributary-connectors`, the file format in
//! `tributary-config`.
//!
//! To add your own processor, implement
//! [`ProcessorConfig`](tributary_processors::ProcessorConfig), register it, and
//! run the command line with that registry: see `examples/custom_processor.rs`.
#![warn(missing_docs)]

pub mod cli;
pub mod declared_tests;
pub mod deploy;
pub mod lambda;
pub mod pipeline;
pub mod replay;
pub mod schema;
pub mod testing;

pub use pipeline::{BatchOutcome, Pipeline, Plan, Totals};
pub use tributary_config as config;
pub use tributary_connectors as connectors;
pub use tributary_core as core;
pub use tributary_processors as processors;
