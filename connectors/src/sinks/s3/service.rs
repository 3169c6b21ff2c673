//! `S3Service`: puts one object and gives the answer. It knows nothing of
//! retries, limits or time: the layers around it do (the SDK's own retries
//! are off, so that a request is never retried twice over).
//!
//! Credentials come from the AWS default chain (environment, profile, web
//! identity, container or instance role) and the region from the sink's
//! `region` or the chain, as the OpenSearch sink's SigV4 does. With
//! `endpoint_url` (a local emulator), requests name the bucket in the path.

use std::time::Instant;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use tributary_core::BoxFuture;

use super::error::{PutError, S3Error};
use super::request::PutRequest;
use super::{Compression, S3SinkConfig};
use crate::sinks::layers::Service;

/// A ready client for one bucket, putting objects.
pub(super) struct S3Service {
    client: aws_sdk_s3::Client,
    bucket: String,
    content_type: &'static str,
}

impl S3Service {
    /// Makes the client with the sink's settings.
    pub(super) async fn connect(config: &S3SinkConfig) -> Result<Self, S3Error> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = &config.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(S3Error::NoRegion);
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(&sdk).retry_config(RetryConfig::disabled());
        if let Some(url) = &config.endpoint_url {
            // Emulators answer at one host, not at BUCKET.host.
            s3 = s3.endpoint_url(url).force_path_style(true);
        }
        Ok(S3Service {
            client: aws_sdk_s3::Client::from_conf(s3.build()),
            bucket: config.bucket.clone(),
            content_type: match config.compression {
                Compression::Gzip => "application/gzip",
                Compression::None => "application/x-ndjson",
            },
        })
    }

    async fn put(&self, request: PutRequest<'_>) -> Result<(), PutError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&request.object.key)
            .content_type(self.content_type)
            .body(ByteStream::from(request.object.body.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(put_error)
    }
}

/// What the SDK's error says became of the request.
fn put_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    error: SdkError<E>,
) -> PutError {
    match &error {
        SdkError::ServiceError(refused) => PutError::Refused {
            status: refused.raw().status().as_u16(),
            code: refused.err().code().unwrap_or("(no code)").to_owned(),
            message: refused.err().message().unwrap_or("(no message)").to_owned(),
        },
        SdkError::ConstructionFailure(_) => PutError::NotMade(crate::aws_error::describe(&error)),
        _ => PutError::NoAnswer(crate::aws_error::describe(&error)),
    }
}

impl<'r> Service<PutRequest<'r>> for S3Service {
    type Response = Result<(), PutError>;

    fn call<'a>(
        &'a self,
        request: &'a PutRequest<'r>,
        _deadline: Option<Instant>,
    ) -> BoxFuture<'a, Self::Response> {
        Box::pin(self.put(*request))
    }
}
