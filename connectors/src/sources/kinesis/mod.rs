//! `type = "kinesis"`: a Kinesis data stream.
//!
//! - `config.rs`: [`KinesisSourceConfig`], the `[source]` table.
//! - `event.rs`: Lambda's Kinesis events, decoded into source records.
//! - `kpl.rs`: splitting KPL-aggregated records into their user records.
//! - `recorder.rs`: recording a stream with the AWS SDK ([`record_stream`]).
//! - `writer.rs`: putting records into a stream ([`put_records`]).

mod config;
mod event;
mod kpl;
mod recorder;
mod writer;

pub use config::KinesisSourceConfig;
pub(super) use event::decode;
pub use recorder::record_stream;
pub use writer::put_records;
