//! The settings of the Lambda event source mapping that reads a stream
//! source: what `tributary deploy` gives Lambda, gathered from the
//! `[source]` table and checked against Lambda's limits.
//!
//! Kinesis and DynamoDB Streams share them. They are declared once, in
//! [`stream_source_config!`], which pastes them into each stream source's
//! config struct: serde's `flatten` cannot be combined with
//! `deny_unknown_fields`, and every `[source]` table refuses unknown keys.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_config::{Diagnostic, Options};

/// Declares a stream source's config struct with the event source mapping's
/// settings in it, and the struct's `From<&Config> for MappingSettings`.
///
/// The struct's own fields come first, then the settings (with their types,
/// defaults and docs), then its own fields after `..mapping_settings`, so
/// that the fields keep their order in the JSON Schema and the docs. The
/// settings whose docs name what the source holds (records of a partition
/// key, changes to an item) take their docs from the source; so does
/// `starting_position_timestamp`, which only Kinesis has.
///
/// ```text
/// stream_source_config! {
///     /// The struct's doc.
///     #[derive(Debug, Clone, Deserialize, JsonSchema)]
///     #[serde(deny_unknown_fields)]
///     pub struct ExampleSourceConfig {
///         /// A field before the settings.
///         #[serde(default)]
///         pub stream: Option<String>,
///         ..mapping_settings {
///             starting_position { /// Its doc. }
///             starting_position_timestamp { /// Its doc (optional slot). }
///             parallelization_factor { /// Its doc. }
///             maximum_record_age_secs { /// Its doc. }
///             on_failure_destination { /// Its doc. }
///         }
///         /// A field after the settings.
///         #[serde(default)]
///         pub codec: Codec,
///     }
/// }
/// ```
macro_rules! stream_source_config {
    (@timestamp $config:ident) => {
        None
    };
    (@timestamp $config:ident $($doc:tt)+) => {
        $config.starting_position_timestamp.clone()
    };
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $( $(#[$first_attr:meta])* pub $first:ident: $first_ty:ty, )*
            ..mapping_settings {
                starting_position { $(#[$starting_position_doc:meta])* }
                $( starting_position_timestamp { $(#[$timestamp_doc:meta])+ } )?
                parallelization_factor { $(#[$parallelization_doc:meta])* }
                maximum_record_age_secs { $(#[$record_age_doc:meta])* }
                on_failure_destination { $(#[$destination_doc:meta])* }
            }
            $( $(#[$last_attr:meta])* pub $last:ident: $last_ty:ty, )*
        }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $( $(#[$first_attr])* pub $first: $first_ty, )*
            /// The most records Lambda passes to one invocation, from 1 to 10000.
            /// Default 100, as Lambda's.
            #[serde(default = "crate::sources::mapping::default_batch_size")]
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
            #[serde(default = "crate::sources::mapping::default_retries")]
            pub maximum_retry_attempts: i32,
            /// Whether Lambda splits a batch in two when the function fails as a
            /// whole, and retries each half. Default false.
            #[serde(default)]
            pub bisect_batch_on_function_error: bool,
            $(#[$starting_position_doc])*
            #[serde(default)]
            pub starting_position: crate::sources::StartingPosition,
            $(
                $(#[$timestamp_doc])+
                #[serde(default)]
                pub starting_position_timestamp: Option<String>,
            )?
            $(#[$parallelization_doc])*
            #[serde(default = "crate::sources::mapping::default_parallelization_factor")]
            pub parallelization_factor: u32,
            $(#[$record_age_doc])*
            #[serde(default = "crate::sources::mapping::default_record_age")]
            pub maximum_record_age_secs: i32,
            $(#[$destination_doc])*
            #[serde(default)]
            pub on_failure_destination: Option<String>,
            $( $(#[$last_attr])* pub $last: $last_ty, )*
        }

        impl From<&$name> for crate::sources::MappingSettings {
            fn from(c: &$name) -> Self {
                crate::sources::MappingSettings {
                    batch_size: c.batch_size,
                    batching_window_secs: c.batching_window_secs,
                    starting_position: c.starting_position,
                    starting_position_timestamp: crate::sources::mapping::stream_source_config!(
                        @timestamp c $( $($timestamp_doc)+ )?
                    ),
                    parallelization_factor: c.parallelization_factor,
                    bisect_batch_on_function_error: c.bisect_batch_on_function_error,
                    maximum_retry_attempts: c.maximum_retry_attempts,
                    maximum_record_age_secs: c.maximum_record_age_secs,
                    on_failure_destination: c.on_failure_destination.clone(),
                    tumbling_window_secs: c.tumbling_window_secs,
                }
            }
        }
    };
}
pub(crate) use stream_source_config;

/// Where an event source mapping starts reading its stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StartingPosition {
    /// The oldest record the stream keeps.
    #[default]
    TrimHorizon,
    /// Only records written after the mapping is created.
    Latest,
    /// Records written from a given time on (Kinesis only).
    AtTimestamp,
}

impl StartingPosition {
    /// The name Lambda uses.
    pub fn as_lambda(self) -> &'static str {
        match self {
            StartingPosition::TrimHorizon => "TRIM_HORIZON",
            StartingPosition::Latest => "LATEST",
            StartingPosition::AtTimestamp => "AT_TIMESTAMP",
        }
    }
}

/// An event source mapping's settings, as Lambda names them.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingSettings {
    /// `BatchSize`.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds`.
    pub batching_window_secs: u32,
    /// `StartingPosition`.
    pub starting_position: StartingPosition,
    /// `StartingPositionTimestamp`, as RFC 3339.
    pub starting_position_timestamp: Option<String>,
    /// `ParallelizationFactor`.
    pub parallelization_factor: u32,
    /// `BisectBatchOnFunctionError`.
    pub bisect_batch_on_function_error: bool,
    /// `MaximumRetryAttempts` (-1: until the records expire).
    pub maximum_retry_attempts: i32,
    /// `MaximumRecordAgeInSeconds` (-1: never too old).
    pub maximum_record_age_secs: i32,
    /// `DestinationConfig.OnFailure.Destination`.
    pub on_failure_destination: Option<String>,
    /// `TumblingWindowInSeconds`.
    pub tumbling_window_secs: Option<u32>,
}

impl MappingSettings {
    /// Checks the settings against Lambda's limits, pointing at the key.
    pub(super) fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if self.batching_window_secs > 300 {
            return Err(options
                .error_at(
                    "batching_window_secs",
                    "`batching_window_secs` must be between 0 and 300",
                )
                .hint("Lambda gathers records for at most five minutes"));
        }
        if !(-1..=10_000).contains(&self.maximum_retry_attempts) {
            return Err(options
                .error_at(
                    "maximum_retry_attempts",
                    "`maximum_retry_attempts` must be between -1 and 10000",
                )
                .hint("-1 retries until the records expire, as Lambda does by default"));
        }
        if let Some(secs) = self.tumbling_window_secs
            && !(1..=900).contains(&secs)
        {
            return Err(options
                .error_at(
                    "tumbling_window_secs",
                    "`tumbling_window_secs` must be between 1 and 900",
                )
                .hint("Lambda's tumbling windows last 1 to 900 seconds"));
        }
        if !(1..=10).contains(&self.parallelization_factor) {
            return Err(options
                .error_at(
                    "parallelization_factor",
                    "`parallelization_factor` must be between 1 and 10",
                )
                .hint("Lambda processes at most 10 batches of one shard at once"));
        }
        let age = self.maximum_record_age_secs;
        if age != -1 && !(60..=604_800).contains(&age) {
            return Err(options
                .error_at(
                    "maximum_record_age_secs",
                    "`maximum_record_age_secs` must be -1 or between 60 and 604800",
                )
                .hint("-1 never gives up on a record for its age, as Lambda does by default"));
        }
        match (
            self.starting_position,
            self.starting_position_timestamp.as_deref(),
        ) {
            (StartingPosition::AtTimestamp, None) => {
                return Err(options
                    .error_at(
                        "starting_position",
                        "`starting_position = \"at-timestamp\"` needs `starting_position_timestamp`",
                    )
                    .hint("such as starting_position_timestamp = \"2026-11-28T00:00:00Z\""));
            }
            (StartingPosition::AtTimestamp, Some(time))
                if chrono::DateTime::parse_from_rfc3339(time).is_err() =>
            {
                return Err(options
                    .error_at(
                        "starting_position_timestamp",
                        format!("`{time}` is not an RFC 3339 time"),
                    )
                    .hint("such as \"2026-11-28T00:00:00Z\""));
            }
            (StartingPosition::TrimHorizon | StartingPosition::Latest, Some(_)) => {
                return Err(options
                    .error_at(
                        "starting_position_timestamp",
                        "`starting_position_timestamp` needs `starting_position = \"at-timestamp\"`",
                    )
                    .hint("remove it, or start at the timestamp"));
            }
            _ => {}
        }
        if let Some(arn) = &self.on_failure_destination
            && !is_destination_arn(arn, &["sqs", "sns", "s3"])
        {
            return Err(options
                .error_at(
                    "on_failure_destination",
                    format!("`{arn}` is not the ARN of an SQS queue, SNS topic or S3 bucket"),
                )
                .hint("such as \"arn:aws:sqs:eu-west-1:123456789012:clicks-failed\""));
        }
        Ok(())
    }
}

/// Whether `arn` is an ARN of one of `services`.
pub(super) fn is_destination_arn(arn: &str, services: &[&str]) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !partition.is_empty() && services.contains(&service) && parts.count() >= 3
}

pub(super) fn default_batch_size() -> u32 {
    100
}

pub(super) fn default_retries() -> i32 {
    -1
}

pub(super) fn default_parallelization_factor() -> u32 {
    1
}

pub(super) fn default_record_age() -> i32 {
    -1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{DynamodbStreamsSourceConfig, KinesisSourceConfig};

    #[test]
    fn each_stream_source_gives_its_settings_to_the_mapping() {
        let kinesis: KinesisSourceConfig = serde_json::from_value(serde_json::json!({
            "batch_size": 500,
            "starting_position": "at-timestamp",
            "starting_position_timestamp": "2026-11-28T00:00:00Z",
            "on_failure_destination": "arn:aws:sqs:eu-west-1:1:failed",
        }))
        .unwrap();
        let dynamodb: DynamodbStreamsSourceConfig = serde_json::from_value(serde_json::json!({
            "tumbling_window_secs": 60,
            "maximum_retry_attempts": 3,
        }))
        .unwrap();
        assert_eq!(
            MappingSettings::from(&kinesis),
            MappingSettings {
                batch_size: 500,
                batching_window_secs: 0,
                starting_position: StartingPosition::AtTimestamp,
                starting_position_timestamp: Some("2026-11-28T00:00:00Z".to_owned()),
                parallelization_factor: 1,
                bisect_batch_on_function_error: false,
                maximum_retry_attempts: -1,
                maximum_record_age_secs: -1,
                on_failure_destination: Some("arn:aws:sqs:eu-west-1:1:failed".to_owned()),
                tumbling_window_secs: None,
            }
        );
        assert_eq!(
            MappingSettings::from(&dynamodb),
            MappingSettings {
                batch_size: 100,
                batching_window_secs: 0,
                starting_position: StartingPosition::TrimHorizon,
                starting_position_timestamp: None,
                parallelization_factor: 1,
                bisect_batch_on_function_error: false,
                maximum_retry_attempts: 3,
                maximum_record_age_secs: -1,
                on_failure_destination: None,
                tumbling_window_secs: Some(60),
            }
        );
        let unknown = serde_json::json!({"starting_position_timestamp": "2026-11-28T00:00:00Z"});
        let error = serde_json::from_value::<DynamodbStreamsSourceConfig>(unknown).unwrap_err();
        assert!(error.to_string().contains("unknown field"), "{error}");
    }

    #[test]
    fn destinations_are_queues_topics_and_buckets() {
        let streams = ["sqs", "sns", "s3"];
        assert!(is_destination_arn(
            "arn:aws:sqs:eu-west-1:1:failed",
            &streams
        ));
        assert!(is_destination_arn(
            "arn:aws:sns:eu-west-1:1:failed",
            &streams
        ));
        assert!(is_destination_arn("arn:aws:s3:::failed-records", &streams));
        let lambda = "arn:aws:lambda:eu-west-1:1:function:f";
        assert!(!is_destination_arn(lambda, &streams));
        assert!(is_destination_arn(lambda, &["lambda"]));
        assert!(!is_destination_arn("failed", &streams));
    }
}
