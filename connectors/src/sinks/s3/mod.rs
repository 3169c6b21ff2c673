//! `type = "s3"`: records into S3 objects, for archives (in the recording
//! format, which `tributary replay` reads back, or as JSON Lines of
//! payloads) and for durable dead letters.
//!
//! Each delivery's records are grouped by their key (the key template with
//! the shard and the arrival time put in), each group cut into objects of at
//! most `max_object_bytes`, and each object named by its first record's
//! sequence: the same batch always gives the same keys and bytes, so an
//! invocation that Lambda retries overwrites its own objects rather than
//! adding others. Each object is one request through the layers every
//! network sink uses (concurrency, retry, rate limit, timeout:
//! [`crate::sinks::layers`]) around a service that puts one object. An
//! object that is not stored fails each of its records, so the pipeline's
//! `on_error` decides what becomes of them.
//!
//! - `config.rs`: what the user writes and its checks; `key_template.rs`:
//!   the key template, its checks and the keys it renders.
//! - `encoder.rs`: records into objects, keys and compressed bodies; with
//!   `line.rs` (one record's line, by format and role) and `objects.rs`
//!   (grouping and cutting).
//! - `request.rs`: an object as a request of one item; `service.rs`: puts
//!   one object, knows nothing of retries; `retry.rs`: what is put again;
//!   `error.rs`: what goes wrong.
//! - `sink.rs`: the [`Sink`](tributary_core::Sink).
//!
//! The client (`aws-sdk-s3`) is behind the crate's `s3` feature, and with
//! it what only sending needs (`request.rs`, `retry.rs`, `service.rs`,
//! `sink.rs`): a build without it still reads and checks the sink's
//! settings and encodes objects, and starting the sink says how to get a
//! build with it.

mod config;
mod encoder;
mod error;
mod key_template;
mod line;
mod objects;
#[cfg(feature = "s3")]
mod request;
#[cfg(feature = "s3")]
mod retry;
#[cfg(feature = "s3")]
mod service;
#[cfg(feature = "s3")]
mod sink;

pub use config::{Compression, ObjectFormat, S3SinkConfig};
pub use encoder::{EncodedObject, ObjectEncoder};
pub use error::S3Error;
#[cfg(feature = "s3")]
pub use sink::S3Sink;
