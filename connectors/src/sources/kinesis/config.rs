//! `type = "kinesis"`: the `[source]` table of a Kinesis data stream.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::sources::Codec;
use crate::sources::mapping::stream_source_config;

stream_source_config! {
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
        ..mapping_settings {
            starting_position {
                /// Where Lambda starts reading the stream when the function is first
                /// deployed: `trim-horizon` (the default: the oldest record kept, so
                /// nothing already in the stream is skipped), `latest`, or
                /// `at-timestamp` (with `starting_position_timestamp`).
            }
            starting_position_timestamp {
                /// With `starting_position = "at-timestamp"`: the RFC 3339 time to
                /// start from.
            }
            parallelization_factor {
                /// How many batches of one shard Lambda processes at once, from 1 (the
                /// default) to 10; records of one partition key stay in order.
            }
            maximum_record_age_secs {
                /// Records older than this many seconds are not sent to the function
                /// but to the on-failure destination: -1 (the default, as Lambda's)
                /// for never, or 60 to 604800.
            }
            on_failure_destination {
                /// The ARN of an SQS queue, SNS topic or S3 bucket that receives a
                /// description of the records Lambda gave up on. Default: none.
            }
        }
        /// How each record's data becomes a payload: `json` (the default),
        /// `text`, `bytes`, `gzip-json` or `cloudwatch-logs`. KPL-aggregated
        /// records are split into their user records first, whatever the codec.
        #[serde(default)]
        pub codec: Codec,
        /// How the deployed function reads the stream: `shared` (the default:
        /// Lambda polls each shard, sharing its 2 MB/s of reads with every
        /// other reader) or `efo` (enhanced fan-out: `tributary package`
        /// registers a stream consumer, which has each shard's 2 MB/s to
        /// itself and gets records pushed within about 70 ms; charged per
        /// consumer-shard hour and per GB, and a stream has at most 20).
        /// Replays and recordings read the same records either way.
        #[serde(default)]
        pub consumer: KinesisConsumer,
    }
}

/// How Lambda reads a Kinesis stream for the deployed function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KinesisConsumer {
    /// Lambda polls each shard with `GetRecords`, sharing the shard's read
    /// throughput with the stream's other readers.
    #[default]
    Shared,
    /// Enhanced fan-out: a registered stream consumer, with each shard's read
    /// throughput its own, pushed to Lambda with `SubscribeToShard`.
    Efo,
}
