//! What goes wrong in the S3 sink: its settings, its connection, or one
//! PutObject request.

#[cfg(feature = "s3")]
use crate::sinks::layers::Elapsed;

/// What went wrong starting the S3 sink.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// `key` is not a key template.
    #[error("`key`: {message}; {hint}")]
    Key {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// Neither the sink nor the AWS default chain gives a region.
    #[error("no AWS region for the S3 sink: set `region` on the sink, or AWS_REGION")]
    NoRegion,
    /// This build has no S3 client.
    #[error(
        "this build of tributary has no s3 sink: it was built without its `s3` feature; \
         `tributary package` builds the function with it for pipelines with an s3 sink, \
         and with cargo, build with `--features s3` (`--features tributary/s3` from your own crate)"
    )]
    NotBuilt,
}

/// What became of one PutObject request that did not store its object:
/// what the retry logic reads (`retry.rs`), whatever the client.
#[cfg(feature = "s3")]
#[derive(Debug, Clone, thiserror::Error)]
pub(super) enum PutError {
    /// S3 answered with an error.
    #[error("S3 answered {status} {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// S3's error code (`SlowDown`, `AccessDenied`, `NoSuchBucket`, ...).
        code: String,
        /// S3's message.
        message: String,
    },
    /// No answer: the connection was refused, reset or cut short.
    #[error("no answer from S3: {0}")]
    NoAnswer(String),
    /// No answer in time.
    #[error("no answer from S3: {0}")]
    TimedOut(#[from] Elapsed),
    /// The request could not be made (no credentials, an endpoint that
    /// cannot be reached as written): nothing was sent.
    #[error("the PutObject request could not be made: {0}")]
    NotMade(String),
}
