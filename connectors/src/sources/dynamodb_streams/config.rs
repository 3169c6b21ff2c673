//! `type = "dynamodb_streams"`: a DynamoDB table's stream.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::sources::StartingPosition;

/// A DynamoDB table's stream, read by a Lambda event source mapping. Keys and
/// images arrive as plain JSON; INSERT and MODIFY become index operations and
/// REMOVE a delete, each with a document id derived from the item's keys.
///
/// ```toml
/// [source]
/// type = "dynamodb_streams"
/// table = "orders"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DynamodbStreamsSourceConfig {
    /// The table's name or its stream's ARN. Used to deploy and to record. No default.
    #[serde(default)]
    pub table: Option<String>,
    /// The most records Lambda passes to one invocation, from 1 to 10000.
    /// Default 100, as Lambda's.
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// How long Lambda gathers records before invoking, in seconds, from 0 to
    /// 300. Default 0.
    #[serde(default)]
    pub batching_window_secs: u32,
    /// The event source mapping's tumbling window, in seconds, from 1 to
    /// 900: Lambda then carries window state between invocations, which an
    /// aggregate with `window = "lambda"` uses. Default: none.
    #[serde(default)]
    pub tumbling_window_secs: Option<u32>,
    /// How many times Lambda retries a batch whose records failed, from 0
    /// to 10000; -1 (the default, as Lambda's) retries until the records
    /// expire. The records still failing then go to the on-failure
    /// destination.
    #[serde(default = "crate::sources::default_retries")]
    pub maximum_retry_attempts: i32,
    /// Whether Lambda splits a batch in two when the function fails as a
    /// whole, and retries each half. Default false.
    #[serde(default)]
    pub bisect_batch_on_function_error: bool,
    /// Where Lambda starts reading the stream when the function is first
    /// deployed: `trim-horizon` (the default: the oldest change kept) or
    /// `latest`.
    #[serde(default)]
    pub starting_position: StartingPosition,
    /// How many batches of one shard Lambda processes at once, from 1 (the
    /// default) to 10; changes to one item stay in order.
    #[serde(default = "crate::sources::default_parallelization_factor")]
    pub parallelization_factor: u32,
    /// Changes older than this many seconds are not sent to the function
    /// but to the on-failure destination: -1 (the default, as Lambda's)
    /// for never, or 60 to 604800.
    #[serde(default = "crate::sources::default_record_age")]
    pub maximum_record_age_secs: i32,
    /// The ARN of an SQS queue, SNS topic or S3 bucket that receives a
    /// description of the changes Lambda gave up on. Default: none.
    #[serde(default)]
    pub on_failure_destination: Option<String>,
    /// What each change's payload is: `item` (the default: the item after the
    /// change, or for a REMOVE the item before it, as plain JSON) or `change`
    /// (the whole change: `eventName`, `keys`, `newImage`, `oldImage`,
    /// `sequenceNumber`, `approximateCreationDateTime`, `removedByTtl`).
    #[serde(default)]
    pub payload: DynamodbPayload,
    /// Whether several changes to one item in a batch collapse to the last
    /// one, the earlier ones counting as dropped. Default `true`: an index
    /// that mirrors the table needs only the latest state.
    #[serde(default = "default_collapse")]
    pub collapse: bool,
}

/// What a DynamoDB change's payload is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DynamodbPayload {
    /// The item after the change; for a REMOVE, the item before it (or its
    /// keys, when the stream does not carry old images).
    #[default]
    Item,
    /// The whole change as plain JSON.
    Change,
}

fn default_collapse() -> bool {
    true
}

fn default_batch_size() -> u32 {
    100
}
