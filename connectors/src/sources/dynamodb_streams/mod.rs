//! `type = "dynamodb_streams"`: a DynamoDB table's stream.
//!
//! - `config.rs`: [`DynamodbStreamsSourceConfig`], the `[source]` table.
//! - `event.rs`: Lambda's DynamoDB Streams events, decoded into source
//!   records; a recorded change is rebuilt into the same record.
//! - `item.rs`: DynamoDB JSON as plain JSON, and an item's document id.
//! - `backfill.rs`: an item that exists (from a scan or an export) as the
//!   INSERT change a backfill sends through the pipeline.
//! - `collapse.rs`: of several changes to one item in a batch, the last
//!   one wins (`collapse = true`).
//! - `recorder.rs`: recording a table's stream with the AWS SDK
//!   (`record_table`, with the `aws-clients` feature).
//! - `range.rs`: re-reading one shard's changes between two sequence
//!   numbers: the SDK calls `RangeReader` makes (with the `aws-clients`
//!   feature).

mod backfill;
mod collapse;
mod config;
mod event;
mod item;
#[cfg(feature = "aws-clients")]
mod range;
#[cfg(feature = "aws-clients")]
mod recorder;

pub use backfill::{BACKFILL_SEQUENCE, BACKFILL_SHARD, BackfillTable};
pub(super) use collapse::superseded;
pub use config::{DynamodbPayload, DynamodbStreamsSourceConfig};
pub(crate) use event::change_of;
#[cfg(feature = "aws-clients")]
use event::is_time_to_live;
pub(super) use event::{decode, rebuild};
pub(super) use item::item_id;
pub use item::{dynamodb_to_json, item_document_id};
#[cfg(feature = "aws-clients")]
pub use recorder::{TableStream, record_table, table_stream};
