//! The `tributary` command line: `init`, `validate`, `test`, `schema`,
//! `explain`, `replay`, `invoke`, `record`, `backfill`, `redrive`,
//! `test-pattern`, `grep`, `remap`, `package`, `deploy` and `completions`.
//!
//! This crate is what a developer runs on their machine; the Lambda function
//! never links it. It parses the command line ([`run`]), writes the JSON
//! Schema of the pipeline file ([`schema`]), talks to Kinesis and DynamoDB
//! Streams with the AWS SDKs to record and put streams, reads failures back
//! from S3, SQS and the streams (`redrive`), and turns a pipeline
//! into a deployed function ([`deploy`]: the `bootstrap` built with `cargo
//! lambda`, its zip, the CloudFormation template, the upload to S3 and the
//! stack). Running a pipeline is the `tributary` library's job: every command
//! that runs one (`replay`, `invoke`, `test`) calls it, so the command line
//! and the function behave alike.
//!
//! The design decision to know: clap, the CloudFormation, S3 and SQS SDKs, zip
//! and object live here and only here, and so does the connectors' `aws-clients`
//! feature (the Kinesis and DynamoDB Streams SDKs), so the `bootstrap` (package `tributary`)
//! stays small and starts fast; `scripts/test` fails if one of them reaches
//! it again.
//!
//! To add your own processor, implement
//! [`ProcessorConfig`](tributary_processors::ProcessorConfig), register it,
//! and call [`run`] with that registry from your own `main`: every command
//! then knows it. See `cli/examples/custom_processor.rs`.
#![warn(missing_docs)]

mod commands;
pub mod deploy;
pub mod schema;

pub use commands::{command, end_quietly_on_a_closed_pipe, run};
