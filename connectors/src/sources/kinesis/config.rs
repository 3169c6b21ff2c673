//! `type = "kinesis"`: a Kinesis data stream.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::sources::{Codec, StartingPosition};

/// A Kinesis data stream, read by a Lambda event source mapping.
///
/// ```toml
/// [source]
/// type = "kinesis"
/// stream = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
/// batch_size = 500
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KinesisSourceConfig {
    /// The stream's name or ARN. Used to deploy and to record; a replay or a
    /// local run does not need it. No default.
    #[serde(default)]
    pub stream: Option<String>,
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
    /// deployed: `trim-horizon` (the default: the oldest record kept, so
    /// nothing already in the stream is skipped), `latest`, or
    /// `at-timestamp` (with `starting_position_timestamp`).
    #[serde(default)]
    pub starting_position: StartingPosition,
    /// With `starting_position = "at-timestamp"`: the RFC 3339 time to
    /// start from.
    #[serde(default)]
    pub starting_position_timestamp: Option<String>,
    /// How many batches of one shard Lambda processes at once, from 1 (the
    /// default) to 10; records of one partition key stay in order.
    #[serde(default = "crate::sources::default_parallelization_factor")]
    pub parallelization_factor: u32,
    /// Records older than this many seconds are not sent to the function
    /// but to the on-failure destination: -1 (the default, as Lambda's)
    /// for never, or 60 to 604800.
    #[serde(default = "crate::sources::default_record_age")]
    pub maximum_record_age_secs: i32,
    /// The ARN of an SQS queue, SNS topic or S3 bucket that receives a
    /// description of the records Lambda gave up on. Default: none.
    #[serde(default)]
    pub on_failure_destination: Option<String>,
    /// How each record's data becomes a payload: `json` (the default),
    /// `text`, `bytes`, `gzip-json` or `cloudwatch-logs`. KPL-aggregated
    /// records are split into their user records first, whatever the codec.
    #[serde(default)]
    pub codec: Codec,
}

fn default_batch_size() -> u32 {
    100
}
