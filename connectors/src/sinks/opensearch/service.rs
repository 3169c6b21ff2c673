//! `OpensearchService`: sends one bulk request and gives the answer. It
//! knows nothing of retries, limits or time: the layers around it do.
//!
//! The connection is the `opensearch` crate's transport with the sink's
//! authentication and gzip bodies. Every request body is buffered (never
//! streamed), so SigV4 signs it and sends `x-amz-content-sha256`, as
//! OpenSearch Serverless requires. No request other than `_bulk` is made:
//! no `GET /` probe, which Serverless refuses.

use std::io::Write as _;
use std::time::Instant;

use opensearch::auth::Credentials;
use opensearch::http::headers::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use opensearch::http::transport::{SingleNodeConnectionPool, Transport, TransportBuilder};
use opensearch::http::{Method, Url};
use tributary_core::BoxFuture;

use super::bulk::BulkRequest;
use super::error::OpensearchError;
use super::{Auth, OpensearchSinkConfig};
use crate::sinks::layers::Service;

/// The answer to one bulk request: its status and body.
#[derive(Debug)]
pub(super) struct BulkAnswer {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

/// A ready connection to one endpoint, sending bulk requests.
pub(super) struct OpensearchService {
    transport: Transport,
    gzip: bool,
}

impl OpensearchService {
    /// Connects with the sink's settings. For SigV4, credentials come from
    /// the AWS default chain (environment, profile, web identity, container
    /// or instance role), and the region from the settings or the chain.
    pub(super) async fn connect(config: &OpensearchSinkConfig) -> Result<Self, OpensearchError> {
        let url = Url::parse(&config.endpoint).map_err(|e| OpensearchError::Endpoint {
            endpoint: config.endpoint.clone(),
            reason: e.to_string(),
        })?;
        // No timeout here: the timeout layer gives each attempt its time.
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url)).disable_proxy();
        match &config.auth {
            Auth::None => {}
            Auth::Basic => {
                let (user, password) = (
                    config.username.clone().unwrap_or_default(),
                    config.password.clone().unwrap_or_default(),
                );
                builder = builder.auth(Credentials::Basic(user, password));
            }
            Auth::AwsSigv4 => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(region) = &config.aws_region {
                    loader = loader.region(aws_config::Region::new(region.clone()));
                }
                let sdk = loader.load().await;
                let credentials = sdk
                    .credentials_provider()
                    .ok_or(OpensearchError::NoCredentials)?;
                let region = sdk.region().cloned().ok_or(OpensearchError::NoRegion)?;
                builder = builder
                    .auth(Credentials::AwsSigV4(credentials, region))
                    .service_name(&config.aws_service);
            }
        }
        let transport = builder.build().map_err(OpensearchError::Transport)?;
        Ok(OpensearchService {
            transport,
            gzip: config.gzip,
        })
    }

    /// Sends one bulk request with `body`.
    async fn bulk(&self, body: Vec<u8>) -> Result<BulkAnswer, OpensearchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        let body = if self.gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            encoder.write_all(&body).map_err(OpensearchError::Gzip)?;
            encoder.finish().map_err(OpensearchError::Gzip)?
        } else {
            body
        };
        let response = self
            .transport
            .send(
                Method::Post,
                "/_bulk",
                headers,
                None::<&()>,
                Some(body),
                None,
            )
            .await
            .map_err(OpensearchError::Send)?;
        let status = response.status_code().as_u16();
        let bytes = response.bytes().await.map_err(OpensearchError::CutShort)?;
        Ok(BulkAnswer {
            status,
            body: bytes.to_vec(),
        })
    }
}

impl Service<BulkRequest<'_>> for OpensearchService {
    type Response = Result<BulkAnswer, OpensearchError>;

    fn call<'a>(
        &'a self,
        request: &'a BulkRequest<'_>,
        _deadline: Option<Instant>,
    ) -> BoxFuture<'a, Self::Response> {
        Box::pin(self.bulk(request.body()))
    }
}
