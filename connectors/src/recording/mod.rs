//! The recording format, version 1: a stream's records with their origin, as
//! JSON Lines. docs/recording-format.md is the reference; in short:
//!
//! ```text
//! {"tributary_recording":1,"source":"kinesis","stream":"arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"}
//! {"shard":"shardId-000000000000","sequence":"4959...","partition_key":"user-7","arrival_ms":1732700000123,"data":{"page":"/"}}
//! {"shard":"shardId-000000000001","sequence":"4959...","partition_key":"user-9","arrival_ms":1732700000124,"data_base64":"3q2+7w=="}
//! ```
//!
//! The first line is a header; every other line is one record. A payload
//! that is one JSON text on one line is written as it came, under `data`;
//! any other payload is base64 under `data_base64`, so a recording gives
//! back every record's bytes exactly.
//!
//! A dead letter is a record line with an `error` object beside it, so a
//! dead-letter file is itself a recording once a header is put before it.

mod check;
mod reader;
mod writer;

pub use check::{SourceMismatch, check_source};

pub use reader::{DeadLetterReason, RecordingError, RecordingReader, UNREADABLE_LINES_SHARD};
pub(crate) use writer::encode_json_record;
pub use writer::{RecordingWriter, encode_record};

use serde::{Deserialize, Serialize};
use tributary_core::SourceKind;

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format version; always [`FORMAT_VERSION`] for files this crate writes.
    pub tributary_recording: u32,
    /// The kind of source the records came from.
    pub source: SourceKind,
    /// The stream ARN, table stream ARN or event bus the records came from.
    pub stream: String,
    /// When the recording was made, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at_ms: Option<i64>,
    /// What made the recording (a command line, a generator and its seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_by: Option<String>,
}

impl Header {
    /// A header for records of `source` from `stream`.
    pub fn new(source: SourceKind, stream: impl Into<String>) -> Self {
        Header {
            tributary_recording: FORMAT_VERSION,
            source,
            stream: stream.into(),
            recorded_at_ms: None,
            made_by: None,
        }
    }
}
