//! What goes wrong in the OpenSearch sink: its settings, its connection, or
//! one request.

use opensearch::http::transport::BuildError;

use crate::sinks::layers::Elapsed;

/// What went wrong in the OpenSearch sink: its settings, its connection, or
/// one request.
#[derive(Debug, thiserror::Error)]
pub enum OpensearchError {
    /// `endpoint` is not a URL.
    #[error("`{endpoint}` is not a URL: {reason}")]
    NotAUrl {
        /// The endpoint as written.
        endpoint: String,
        /// What the URL parser said.
        reason: String,
    },
    /// `endpoint` is a URL of another scheme than http or https.
    #[error("`{scheme}` URLs are not supported; use https")]
    Scheme {
        /// The URL's scheme.
        scheme: String,
    },
    /// `index` is not an index name template.
    #[error("{0}")]
    Index(String),
    /// `document_id` is not an id source.
    #[error("{0}")]
    DocumentId(String),
    /// The endpoint could not be read when connecting.
    #[error("endpoint `{endpoint}`: {reason}")]
    Endpoint {
        /// The endpoint as written.
        endpoint: String,
        /// What the URL parser said.
        reason: String,
    },
    /// SigV4 needs credentials, and the AWS default chain has no provider.
    #[error(
        "no AWS credentials provider: set AWS credentials the usual way (environment, profile or role)"
    )]
    NoCredentials,
    /// SigV4 needs a region, and neither the sink nor the AWS default chain
    /// gives one.
    #[error("no AWS region: set `aws_region` on the sink, or AWS_REGION")]
    NoRegion,
    /// The HTTP transport could not be built.
    #[error(transparent)]
    Transport(BuildError),
    /// The request body could not be gzipped.
    #[error(transparent)]
    Gzip(std::io::Error),
    /// The request got no answer: a refused connection, a reset.
    #[error("bulk request failed: {0}")]
    Send(opensearch::Error),
    /// The request got no answer in time.
    #[error("bulk request failed: {0}")]
    TimedOut(#[from] Elapsed),
    /// The answer's body was cut short.
    #[error("bulk response cut short: {0}")]
    CutShort(opensearch::Error),
    /// OpenSearch refused the whole request.
    #[error("OpenSearch answered {status} to the bulk request: {snippet}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body.
        snippet: String,
    },
    /// A 200 answer that does not say what became of each operation.
    #[error("the bulk response did not answer each item: {snippet}")]
    Unanswered {
        /// The start of the answer's body.
        snippet: String,
    },
}
