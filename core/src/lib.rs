//! The shared vocabulary of tributary: the [`Record`] that flows through a
//! pipeline, the [`Batch`] that processors work on, and the [`Processor`] and
//! [`Sink`] traits that every component implements.
//!
//! This crate is small on purpose and changes rarely: `tributary-processors`
//! and `tributary-connectors` both depend on it and on nothing of each other.
//! It knows nothing of TOML, Lambda or AWS.
//!
//! The one design decision to know: **every input record is accounted for.**
//! A [`Batch`] never loses a record silently. A processor keeps a record, drops
//! it on purpose (counted), or fails it (kept, with its error, in the batch's
//! failure list); a sink reports each record it could not deliver. The runtime
//! turns that ledger into Lambda's `batchItemFailures`, dead letters and metrics.
//!
//! A record's payload is parsed lazily and at most once: [`Payload`] keeps the
//! raw bytes until someone asks for the JSON tree, and then keeps the tree.
#![warn(missing_docs)]

mod batch;
mod change_version;
mod document_id;
mod error_policy;
pub mod json;
mod origin;
mod payload;
mod processor;
mod record;
mod shard_stops;
mod sink;
pub mod time;
mod window;

pub use batch::{Batch, BatchParts, FailedRecord, FailureKind, HeldBack, Verdict};
pub use change_version::{ChangeVersion, VersionError};
pub use document_id::{MAX_DOCUMENT_ID_BYTES, document_id, join_id_values, push_id_part};
pub use error_policy::{Disposition, ErrorPolicy};
pub use origin::{Change, Origin, SourceKind, compare_sequence_numbers};
pub use payload::{Payload, PayloadError};
pub use processor::{Processor, RecordProcessor};
pub use record::{InputIndex, Record};
pub use shard_stops::ShardStops;
pub use sink::{BoxFuture, Delivery, DeliveryFailure, SharedError, Sink, SinkError, SinkStats};
pub use window::Window;

/// A boxed error, as processors and sinks return them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
