//! The `[deploy.alarms]` table: the CloudWatch alarms `tributary package`
//! puts in the stack, and where they send their notifications.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Diagnostic, Options};

/// The `[deploy.alarms]` table.
///
/// ```toml
/// [deploy.alarms]
/// iterator_age_secs = 600
/// sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:on-call"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmSettings {
    /// Whether the stack has alarms: on the function's errors, on the age of
    /// the oldest record a stream source has not yet read (Kinesis and
    /// DynamoDB Streams), and on dead letters (with a `dead_letter` sink).
    /// Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The iterator age alarm goes off when Lambda's oldest unread record
    /// of the stream is older than this many seconds, from 1 to 31536000
    /// (a year, a Kinesis stream's longest retention), for 5 minutes on end.
    /// Default 300.
    #[serde(default = "default_iterator_age_secs")]
    pub iterator_age_secs: u32,
    /// The ARN of an SNS topic that is told when an alarm goes off and when
    /// it is over (`arn:aws:sns:REGION:ACCOUNT:NAME`). Default: none; the
    /// alarms are then seen in the CloudWatch console only.
    #[serde(default)]
    pub sns_topic_arn: Option<String>,
}

/// The longest `iterator_age_secs`: a year, a Kinesis stream's longest
/// retention.
const MAX_ITERATOR_AGE_SECS: u32 = 365 * 24 * 3600;

impl Default for AlarmSettings {
    fn default() -> Self {
        AlarmSettings {
            enabled: true,
            iterator_age_secs: default_iterator_age_secs(),
            sns_topic_arn: None,
        }
    }
}

impl AlarmSettings {
    /// Checks the settings, read from the `[deploy]` table's `options`.
    pub(super) fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if !(1..=MAX_ITERATOR_AGE_SECS).contains(&self.iterator_age_secs) {
            return Err(options
                .error_at(
                    "alarms.iterator_age_secs",
                    format!("`iterator_age_secs` must be between 1 and {MAX_ITERATOR_AGE_SECS}"),
                )
                .hint("a stream keeps its records for at most a year"));
        }
        if let Some(arn) = &self.sns_topic_arn
            && !is_sns_topic_arn(arn)
        {
            return Err(options
                .error_at(
                    "alarms.sns_topic_arn",
                    format!("`{arn}` is not the ARN of an SNS topic"),
                )
                .hint("such as \"arn:aws:sns:eu-west-1:123456789012:on-call\""));
        }
        Ok(())
    }
}

/// Whether `arn` is an SNS topic's: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`,
/// with a 12-digit account and a name of 1 to 256 letters, digits, `-` and
/// `_` (a FIFO topic's ending in `.fifo`).
fn is_sns_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", partition, "sns", region, account, name] = parts.as_slice() else {
        return false;
    };
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    !partition.is_empty()
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn default_true() -> bool {
    true
}

fn default_iterator_age_secs() -> u32 {
    300
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_name_a_topic_in_an_account() {
        assert!(is_sns_topic_arn(
            "arn:aws:sns:eu-west-1:123456789012:on-call"
        ));
        assert!(is_sns_topic_arn(
            "arn:aws-cn:sns:cn-north-1:123456789012:ops.fifo"
        ));
        for arn in [
            "arn:aws:sqs:eu-west-1:123456789012:on-call",
            "arn:aws:sns:eu-west-1:1234:on-call",
            "arn:aws:sns:eu-west-1:123456789012:",
            "arn:aws:sns:eu-west-1:123456789012:on call",
            "arn:aws:sns:eu-west-1:123456789012:on-call:extra",
            "on-call",
        ] {
            assert!(!is_sns_topic_arn(arn), "{arn}");
        }
    }
}
