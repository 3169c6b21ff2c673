//! tributary runs stream-processing pipelines on AWS Lambda: a source
//! (Kinesis, DynamoDB Streams, EventBridge), a chain of processors, and one or
//! more sinks, declared in TOML.
//!
//! This package is the runtime: what runs a pipeline, in Lambda and on a
//! developer's machine alike. It turns a pipeline file into a running
//! [`Pipeline`] (through a checked [`Plan`]), drives batches through it and
//! accounts for every record, applies Lambda's rules (shard stops, partial
//! batch responses, tumbling-window state, the invocation's deadline), and
//! builds the `bootstrap` binary that Lambda runs ([`lambda`]). The same
//! pipeline replays recordings the way Lambda delivers streams ([`replay`]),
//! runs from Rust tests ([`testing`]) and from the `[[tests]]` of its file
//! ([`declared_tests`]).
//!
//! It is not the command line: `tributary validate`, `replay`, `package`,
//! `deploy` and the rest live in the `tributary-cli` crate (folder `cli/`),
//! with clap, the CloudFormation, S3, Kinesis and DynamoDB Streams SDKs, zip
//! and object. Nothing here depends on them, so the function's zip carries
//! none of them; `scripts/test` checks it. Nor does it hold processors or connectors: those live in
//! `tributary-processors` and `tributary-connectors`, the file format in
//! `tributary-config`, the record model in `tributary-core`.
//!
//! To add your own processor, implement
//! [`ProcessorConfig`](tributary_processors::ProcessorConfig), register it,
//! and run [`lambda::run`] with that registry in your function's `main` (as
//! `src/bin/bootstrap.rs` does with the built-in ones), and
//! `tributary_cli::run` in your command line's: see
//! `cli/examples/custom_processor.rs`.
#![warn(missing_docs)]

pub mod declared_tests;
pub mod lambda;
pub mod pipeline;
pub mod replay;
pub mod testing;

pub use pipeline::{
    BatchMetrics, BatchOutcome, Clock, DeadLetterSample, DeliveryTotals, Latencies, Pipeline, Plan,
    ProcessorMetrics, SinkMetrics, SinkTotals, Totals,
};
pub use tributary_config as config;
pub use tributary_connectors as connectors;
pub use tributary_core as core;
pub use tributary_processors as processors;
