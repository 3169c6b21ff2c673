//! `type = "eventbridge"`: events from an EventBridge bus.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_config::{Diagnostic, Options};

use crate::sources::mapping::is_destination_arn;

/// Events from an EventBridge bus, delivered by a rule one event an
/// invocation. The whole event is the payload.
///
/// ```toml
/// [source]
/// type = "eventbridge"
/// event_bus = "orders"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventbridgeSourceConfig {
    /// The event bus's name or ARN. Default `default`.
    #[serde(default = "default_event_bus")]
    pub event_bus: String,
    /// How many times Lambda retries an event whose invocation failed (an
    /// event not delivered), from 0 to 2. Default 2, as Lambda's.
    #[serde(default = "default_retries")]
    pub maximum_retry_attempts: u32,
    /// Events older than this many seconds are not retried but go to the
    /// on-failure destination: 60 to 21600. Default: Lambda's, 21600.
    #[serde(default)]
    pub maximum_event_age_secs: Option<u32>,
    /// The ARN of an SQS queue, SNS topic, S3 bucket, Lambda function or
    /// event bus that receives the events Lambda gave up on. Default: none,
    /// and Lambda discards them.
    #[serde(default)]
    pub on_failure_destination: Option<String>,
}

impl EventbridgeSourceConfig {
    /// Checks the settings against Lambda's limits, pointing at the key.
    pub(in crate::sources) fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if self.maximum_retry_attempts > 2 {
            return Err(options
                .error_at(
                    "maximum_retry_attempts",
                    "`maximum_retry_attempts` must be between 0 and 2",
                )
                .hint("Lambda retries an asynchronous invocation at most twice"));
        }
        if let Some(age) = self.maximum_event_age_secs
            && !(60..=21_600).contains(&age)
        {
            return Err(options
                .error_at(
                    "maximum_event_age_secs",
                    "`maximum_event_age_secs` must be between 60 and 21600",
                )
                .hint("Lambda keeps an event for at most six hours"));
        }
        if let Some(arn) = &self.on_failure_destination
            && !is_destination_arn(arn, &["sqs", "sns", "s3", "lambda", "events"])
        {
            return Err(options
                .error_at(
                    "on_failure_destination",
                    format!(
                        "`{arn}` is not the ARN of an SQS queue, SNS topic, S3 bucket, Lambda function or event bus"
                    ),
                )
                .hint("such as \"arn:aws:sqs:eu-west-1:123456789012:alerts-failed\""));
        }
        Ok(())
    }
}

fn default_retries() -> u32 {
    2
}

fn default_event_bus() -> String {
    "default".to_owned()
}
