//! `type = "dynamodb_streams"`: the `[source]` table of a DynamoDB table's
//! stream.

use schemars::JsonSchema;
use serde::Deserialize;

use tributary_config::{Diagnostic, Options};

use crate::sources::mapping::stream_source_config;
use crate::sources::{MappingSettings, StartingPosition};

stream_source_config! {
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
        ..mapping_settings {
            starting_position {
                /// Where Lambda starts reading the stream when the function is first
                /// deployed: `trim-horizon` (the default: the oldest change kept) or
                /// `latest`.
            }
            parallelization_factor {
                /// How many batches of one shard Lambda processes at once, from 1 (the
                /// default) to 10; changes to one item stay in order.
            }
            maximum_record_age_secs {
                /// Changes older than this many seconds are not sent to the function
                /// but to the on-failure destination: -1 (the default, as Lambda's)
                /// for never, or 60 to 604800.
            }
            on_failure_destination {
                /// The ARN of an SQS queue, SNS topic or S3 bucket that receives a
                /// description of the changes Lambda gave up on. Default: none.
            }
        }
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
}

impl DynamodbStreamsSourceConfig {
    /// Checks the settings against Lambda's limits, pointing at the key.
    pub(in crate::sources) fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if self.starting_position == StartingPosition::AtTimestamp {
            return Err(options
                .error_at(
                    "starting_position",
                    "DynamoDB Streams start at `trim-horizon` or `latest`",
                )
                .hint("`at-timestamp` is for Kinesis streams"));
        }
        MappingSettings::from(self).check(options)
    }
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
