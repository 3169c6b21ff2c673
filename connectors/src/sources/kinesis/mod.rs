//! `type = "kinesis"`: a Kinesis data stream.
//!
//! - `config.rs`: [`KinesisSourceConfig`], the `[source]` table, and
//!   [`KinesisConsumer`], how the deployed function reads the stream.
//! - `event.rs`: Lambda's Kinesis events, decoded into source records.
//! - `scan.rs`: the usual Kinesis event read in one pass, without serde;
//!   any other is read by `event.rs` with serde_json.
//! - `kpl.rs`: splitting KPL-aggregated records into their user records.
//! - `recorder.rs`: recording a stream with the AWS SDK (`record_stream`,
//!   with the `aws-clients` feature).
//! - `range.rs`: re-reading one shard's records between two sequence
//!   numbers: the SDK calls `RangeReader` makes (with the `aws-clients`
//!   feature).
//! - `writer.rs`: putting records into a stream (`put_records`, with the
//!   `aws-clients` feature).

mod config;
mod event;
mod kpl;
#[cfg(feature = "aws-clients")]
mod range;
#[cfg(feature = "aws-clients")]
mod recorder;
mod scan;
#[cfg(feature = "aws-clients")]
mod writer;

pub use config::{KinesisConsumer, KinesisSourceConfig};
pub(super) use event::decode;
#[cfg(feature = "aws-clients")]
pub use recorder::record_stream;
#[cfg(feature = "aws-clients")]
pub use writer::put_records;

/// What the fuzz targets hold to a reference (cargo fuzz builds with
/// `--cfg fuzzing`): what the event scanner reads, serde_json must read the
/// same.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use super::scan::agrees_with_serde_json;
}
