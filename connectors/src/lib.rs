//! tributary's connectors: the sources records come from and the sinks they
//! go to.
//!
//! - [`sources`]: the `[source]` of a pipeline (Kinesis, DynamoDB Streams,
//!   EventBridge), its settings, and the [`Codec`](sources::Codec) that turns a
//!   record's bytes into a payload.
//! - [`recording`]: the recording format, JSON Lines that hold a stream's
//!   records with their origin, for replay and tests.
//! - [`sinks`]: the `[sinks.NAME]` of a pipeline (JSON Lines, OpenSearch), and
//!   the [`layers`](sinks::layers) network sinks wrap themselves in (retry,
//!   rate limits, concurrency, timeout).
//!
//! Sources and sinks are closed sets, each a variant of
//! [`SourceConfig`](sources::SourceConfig) or [`SinkConfig`](sinks::SinkConfig):
//! unlike processors, users do not add their own. Each has its config and its
//! runtime in one file named after its TOML `type`.
#![warn(missing_docs)]

pub mod aws;
pub mod recording;
pub mod sinks;
pub mod sources;
