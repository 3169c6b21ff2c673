//! What the sources' AWS SDK clients share: where to reach AWS, where in a
//! stream to start and when to stop, where a recording run puts what it
//! reads, and the error. The clients themselves are in each source's folder:
//! recording a Kinesis stream (`kinesis/recorder.rs`) or a DynamoDB table's
//! stream (`dynamodb_streams/recorder.rs`) into the recording format,
//! re-reading a range of either (`range.rs` in each, driven by
//! `sequence_range.rs`), and putting a recording back into a Kinesis stream
//! (`kinesis/writer.rs`).
//!
//! Credentials and region come from the AWS default chain; `--endpoint-url`
//! points the clients elsewhere (a local moto server in the tests).

use std::time::{Duration, Instant};

/// What a recording run read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorded {
    /// Records written.
    pub records: u64,
    /// Bytes of record data written.
    pub bytes: u64,
}

/// Where a recording run puts what it reads: the recording's header (with
/// the stream's ARN, before any record), each record in per-shard order,
/// and the running totals.
pub struct RecordingOutput<'a> {
    /// Writes the header for the stream with this ARN.
    pub header: &'a mut dyn FnMut(&str) -> std::io::Result<()>,
    /// Writes one record.
    pub write: &'a mut dyn FnMut(&tributary_core::Origin, &[u8]) -> std::io::Result<()>,
    /// Hears the totals so far.
    pub progress: &'a mut dyn FnMut(Recorded),
}

/// Where to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// Another endpoint than AWS's (`http://127.0.0.1:5000`).
    pub url: Option<String>,
    /// The region; default the chain's.
    pub region: Option<String>,
}

impl Endpoint {
    /// The SDK configuration: the default chain, with the endpoint's
    /// overrides.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &self.url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        loader.load().await
    }

    /// The SDK configuration, once it is known to have a region and
    /// credentials from the chain: a command checks this before it makes
    /// anything (an output file), so a machine without AWS set up hears what
    /// to set rather than the SDK's dispatch failure.
    pub async fn checked_sdk_config(&self) -> Result<aws_config::SdkConfig, AwsSetupError> {
        use aws_sdk_kinesis::config::ProvideCredentials as _;

        let config = self.sdk_config().await;
        if config.region().is_none() {
            return Err(AwsSetupError::NoRegion);
        }
        let Some(provider) = config.credentials_provider() else {
            return Err(AwsSetupError::NoCredentials {
                reason: "no credential provider is configured".to_owned(),
            });
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(config),
            Err(error) => Err(AwsSetupError::NoCredentials {
                reason: crate::aws_error::describe(&error),
            }),
        }
    }
}

/// What keeps a command from talking to AWS at all, and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum AwsSetupError {
    /// The chain gave no region.
    #[error(
        "no AWS region is set\n  \
         hint: give `--region REGION`, or set AWS_REGION, or a `region` in ~/.aws/config \
         for your profile"
    )]
    NoRegion,
    /// The chain gave no credentials.
    #[error(
        "no AWS credentials were found: {reason}\n  \
         hint: the default chain looks in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
         the profile named by AWS_PROFILE (~/.aws/credentials, ~/.aws/config, `aws sso login`), \
         then a container or instance role; with --endpoint-url (a local emulator) any key pair will do"
    )]
    NoCredentials {
        /// Why the chain's last provider gave up, in its own words.
        reason: String,
    },
}

/// Where in a stream to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest record kept.
    TrimHorizon,
    /// Records that arrive from now on.
    Latest,
    /// Records that arrived at this time (milliseconds since the epoch) or later.
    Timestamp(i64),
}

/// When to stop recording. Without any, recording goes on until the stream
/// ends (its shards are closed) or the process is stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopWhen {
    /// After this many records.
    pub max_records: Option<u64>,
    /// After this long.
    pub duration: Option<Duration>,
    /// Once every shard has been read to its end for now.
    pub caught_up: bool,
}

impl StopWhen {
    pub(crate) fn reached(&self, records: u64, started: Instant) -> bool {
        self.max_records.is_some_and(|max| records >= max)
            || self.duration.is_some_and(|d| started.elapsed() >= d)
    }
}

/// An error talking to AWS, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {message}")]
pub struct AwsError {
    doing: String,
    message: String,
}

impl AwsError {
    pub(crate) fn new(doing: impl Into<String>, error: impl std::fmt::Display) -> Self {
        AwsError {
            doing: doing.into(),
            message: error.to_string(),
        }
    }
}

/// The stream name in a name or an ARN (`arn:aws:kinesis:...:stream/NAME`).
pub(crate) fn stream_name(name_or_arn: &str) -> &str {
    name_or_arn
        .rsplit_once(":stream/")
        .map_or(name_or_arn, |(_, name)| name)
}
