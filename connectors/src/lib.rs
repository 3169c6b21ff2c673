//! tributary's connectors: the sources records come from and the sinks they
//! go to.
//!
//! - [`sources`]: the `[source]` of a pipeline (Kinesis, DynamoDB Streams,
//!   EventBridge), its settings, the decoding of its Lambda events, and the
//!   [`Codec`](sources::Codec) that turns a record's bytes into a payload.
//! - [`recording`]: the recording format, JSON Lines that hold a stream's
//!   records with their origin, for replay and tests.
//! - [`sinks`]: the `[sinks.NAME]` of a pipeline (JSON Lines, OpenSearch, S3), and
//!   the [`layers`](sinks::layers) network sinks wrap themselves in (retry,
//!   rate limits, concurrency, timeout).
//!
//! Sources and sinks are closed sets, each a variant of
//! [`SourceConfig`](sources::SourceConfig) or [`SinkConfig`](sinks::SinkConfig):
//! unlike processors, users do not add their own. Each source is one folder
//! named after its TOML `type` (`sources/kinesis/`): its config, its Lambda
//! event decoding, and its AWS SDK clients (recording the stream, writing to
//! it). What sources share sits at the top of `sources/`, in files named for
//! their job. A small sink is one file named after its type
//! (`sinks/jsonl.rs`), a larger one a folder (`sinks/opensearch/`).
//!
//! The AWS SDK clients of the sources (`aws-sdk-kinesis`,
//! `aws-sdk-dynamodbstreams`) are behind the `aws-clients` feature, off by
//! default: the Lambda function decodes the events Lambda gives it and never
//! calls the streams itself, so it links neither SDK. The command line turns
//! the feature on to record and write streams, and to re-read the ranges
//! Lambda's on-failure records name. The `s3` sink's client
//! (`aws-sdk-s3`) is behind the `s3` feature likewise: a function links it
//! only when its pipeline has an `s3` sink.
#![warn(missing_docs)]

pub mod aws_error;
pub mod recording;
pub mod sinks;
pub mod sources;
