//! The optional `[deploy]` table: how `tributary package` and `tributary
//! deploy` shape the Lambda function that runs the pipeline.
//!
//! The event source mapping's settings (batch size, retries, starting
//! position, ...) belong to the `[source]` table, because replays follow them
//! too; this table holds what only the deployed function has: its settings,
//! and how it is watched (the dashboard, the mapping's metrics, and the
//! alarms of `[deploy.alarms]`, in `alarms`).

mod alarms;

pub use alarms::AlarmSettings;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Diagnostic, Options};

/// The `[deploy]` table.
///
/// ```toml
/// [deploy]
/// memory_mb = 512
/// timeout_secs = 120
/// environment = { RUST_LOG = "info" }
///
/// [deploy.alarms]
/// sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:on-call"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploySection {
    /// The Lambda function's name, 1 to 64 letters, digits, `-` and `_`.
    /// Default: the pipeline's name.
    #[serde(default)]
    pub function_name: Option<String>,
    /// The function's memory in MB, from 128 to 10240; Lambda gives CPU in
    /// proportion. Default 256.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u32,
    /// The function's timeout in seconds, from 1 to 900. Default 60.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u32,
    /// The processor architecture: `x86_64` (the default) or `arm64`.
    #[serde(default)]
    pub architecture: Architecture,
    /// Environment variables of the function. The pipeline file is read in
    /// Lambda with these, so `${VAR}` in it takes their values there.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Whether a first `filter` processor is also given to Lambda as the
    /// event source mapping's filter criteria, when Lambda would decide every
    /// record the same way; records it drops then never invoke the function.
    /// Default true. `tributary package` says what it decided, and why.
    #[serde(default = "default_true")]
    pub filter_push_down: bool,
    /// Whether the stack has a CloudWatch dashboard of the function and the
    /// pipeline: invocations, errors, the stream's iterator age, the fate of
    /// the records, latency, each sink's throttling, retries and rejections,
    /// and dead letters. Default true.
    #[serde(default = "default_true")]
    pub dashboard: bool,
    /// Whether the event source mapping of a stream source sends Lambda's
    /// `EventCount` metric (records it read, filtered out, and sent to the
    /// function) to CloudWatch. Default true.
    #[serde(default = "default_true")]
    pub mapping_metrics: bool,
    /// The stack's CloudWatch alarms. Default: on, without notifications.
    #[serde(default)]
    pub alarms: AlarmSettings,
}

/// The Lambda function's instruction set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Architecture {
    /// 64-bit x86.
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (Graviton).
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// The name Lambda uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl Default for DeploySection {
    fn default() -> Self {
        DeploySection {
            function_name: None,
            memory_mb: default_memory_mb(),
            timeout_secs: default_timeout_secs(),
            architecture: Architecture::default(),
            environment: BTreeMap::new(),
            filter_push_down: true,
            dashboard: true,
            mapping_metrics: true,
            alarms: AlarmSettings::default(),
        }
    }
}

impl DeploySection {
    /// Reads and checks the `[deploy]` table.
    pub(crate) fn read(options: &Options) -> Result<Self, Diagnostic> {
        let section: DeploySection = options.deserialize()?;
        if let Some(name) = &section.function_name
            && !is_function_name(name)
        {
            return Err(options
                .error_at(
                    "function_name",
                    format!("`{name}` is not a Lambda function name"),
                )
                .hint("use 1 to 64 letters, digits, `-` and `_`"));
        }
        if !(128..=10_240).contains(&section.memory_mb) {
            return Err(options
                .error_at("memory_mb", "`memory_mb` must be between 128 and 10240")
                .hint("Lambda functions have 128 MB to 10,240 MB of memory"));
        }
        if !(1..=900).contains(&section.timeout_secs) {
            return Err(options
                .error_at("timeout_secs", "`timeout_secs` must be between 1 and 900")
                .hint("Lambda functions run for at most 15 minutes"));
        }
        if let Some(key) = section
            .environment
            .keys()
            .find(|key| !is_variable_name(key))
        {
            return Err(options
                .error_at(
                    "environment",
                    format!("`{key}` is not an environment variable name"),
                )
                .hint("Lambda takes names of letters, digits and `_`, starting with a letter"));
        }
        if let Some(key) = section
            .environment
            .keys()
            .find(|key| LAMBDA_VARIABLES.contains(&key.as_str()))
        {
            return Err(options
                .error_at("environment", format!("`{key}` is set by Lambda itself"))
                .hint("Lambda reserves it; the pipeline file can read it as it is"));
        }
        let size: usize = section
            .environment
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        if size > MAX_ENVIRONMENT_BYTES {
            return Err(options
                .error_at(
                    "environment",
                    format!("the variables take {size} bytes, past Lambda's 4 KB"),
                )
                .hint("keep large settings in the pipeline file itself"));
        }
        section.alarms.check(options)?;
        Ok(section)
    }
}

/// The variables Lambda sets in every function's environment; a function
/// cannot set them.
pub const LAMBDA_VARIABLES: [&str; 19] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    "TZ",
];

/// The most bytes of environment variables (names and values) a function has.
pub const MAX_ENVIRONMENT_BYTES: usize = 4096;

/// Whether `name` is a Lambda function name: 1 to 64 letters, digits, `-`
/// and `_`.
pub fn is_function_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn default_memory_mb() -> u32 {
    256
}

fn default_timeout_secs() -> u32 {
    60
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use crate::{PipelineConfig, SourceFile};

    fn deploy(table: &str) -> Result<super::DeploySection, String> {
        let text = format!(
            "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n[sinks.out]\ntype = \"jsonl\"\n[deploy]\n{table}\n"
        );
        PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap())
            .map(|config| config.deploy)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn defaults_fit_a_small_stream_function() {
        let section = deploy("").unwrap();
        assert_eq!((section.memory_mb, section.timeout_secs), (256, 60));
        assert!(section.filter_push_down);
        assert!(section.dashboard && section.mapping_metrics);
        assert_eq!(section.alarms, super::AlarmSettings::default());
        assert!(section.alarms.enabled);
        assert_eq!(section.alarms.iterator_age_secs, 300);
    }

    #[test]
    fn watching_the_function_can_be_turned_off_and_alarms_notify_a_topic() {
        let section = deploy(
            "dashboard = false\nmapping_metrics = false\n[deploy.alarms]\nenabled = false\n\
             iterator_age_secs = 60\nsns_topic_arn = \"arn:aws:sns:eu-west-1:123456789012:on-call\"",
        )
        .unwrap();
        assert!(!section.dashboard && !section.mapping_metrics);
        assert!(!section.alarms.enabled);
        assert_eq!(section.alarms.iterator_age_secs, 60);
        assert_eq!(
            section.alarms.sns_topic_arn.as_deref(),
            Some("arn:aws:sns:eu-west-1:123456789012:on-call")
        );
        let inline = deploy("alarms = { iterator_age_secs = 120 }").unwrap();
        assert_eq!(inline.alarms.iterator_age_secs, 120);
    }

    #[test]
    fn alarm_settings_aws_refuses_are_errors_at_their_key() {
        for (table, message, place, hint) in [
            (
                "[deploy.alarms]\nsns_topic_arn = \"arn:aws:sqs:eu-west-1:123456789012:q\"",
                "`arn:aws:sqs:eu-west-1:123456789012:q` is not the ARN of an SNS topic",
                "p.toml:9:17",
                "arn:aws:sns:eu-west-1:123456789012:on-call",
            ),
            (
                "[deploy.alarms]\niterator_age_secs = 0",
                "`iterator_age_secs` must be between 1 and 31536000",
                "p.toml:9:21",
                "at most a year",
            ),
            (
                "alarms = { sns_topic_arn = \"on-call\" }",
                "`on-call` is not the ARN of an SNS topic",
                "p.toml:8:28",
                "such as",
            ),
            (
                "[deploy.alarms]\nenabeld = false",
                "unknown field `enabeld`",
                "p.toml:9:1",
                "enabled",
            ),
        ] {
            let error = deploy(table).unwrap_err();
            assert!(error.contains(message), "{table}: {error}");
            assert!(error.contains(place), "{table}: {error}");
            assert!(error.contains(hint), "{table}: {error}");
        }
    }

    #[test]
    fn settings_lambda_refuses_are_errors_at_their_key() {
        for (table, message) in [
            (
                "memory_mb = 64",
                "`memory_mb` must be between 128 and 10240",
            ),
            (
                "timeout_secs = 901",
                "`timeout_secs` must be between 1 and 900",
            ),
            (
                "function_name = \"my fn\"",
                "`my fn` is not a Lambda function name",
            ),
            (
                "environment = { 1X = \"a\" }",
                "`1X` is not an environment variable name",
            ),
            (
                "environment = { AWS_REGION = \"eu-west-1\" }",
                "`AWS_REGION` is set by Lambda itself",
            ),
            ("architecture = \"sparc\"", "unknown value `sparc`"),
        ] {
            let error = deploy(table).unwrap_err();
            assert!(error.contains(message), "{table}: {error}");
            assert!(error.contains("p.toml:8:"), "{table}: {error}");
        }
        let big = format!("environment = {{ BIG = \"{}\" }}", "x".repeat(5000));
        assert!(deploy(&big).unwrap_err().contains("past Lambda's 4 KB"));
    }
}
