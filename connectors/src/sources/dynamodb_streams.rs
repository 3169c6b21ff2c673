//! `type = "dynamodb_streams"`: a DynamoDB table's stream.

use schemars::JsonSchema;
use serde::Deserialize;

/// A DynamoDB table's stream, read by a Lambda event source mapping. Each
/// record's payload is the change: its keys and images as plain JSON.
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
}

fn default_batch_size() -> u32 {
    100
}
