//! The connection: the `opensearch` crate's transport with the sink's
//! authentication, gzip bodies and rate limits.
//!
//! Every request body is buffered (never streamed), so SigV4 signs it and
//! sends `x-amz-content-sha256`, as OpenSearch Serverless requires. No
//! request other than `_bulk` is made: no `GET /` probe, which Serverless
//! refuses.

use std::io::Write as _;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use opensearch::auth::Credentials;
use opensearch::http::headers::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use opensearch::http::transport::{SingleNodeConnectionPool, Transport, TransportBuilder};
use opensearch::http::{Method, Url};

use super::{Auth, OpensearchSinkConfig};

/// A ready connection to one endpoint.
pub(super) struct Client {
    transport: Transport,
    gzip: bool,
    requests: Option<DefaultDirectRateLimiter>,
    documents: Option<DefaultDirectRateLimiter>,
}

/// The answer to one bulk request: its status and body, or why there was
/// none (a refused connection, a reset, a timeout).
pub(super) type Answer = Result<(u16, Vec<u8>), String>;

impl Client {
    /// Connects with the sink's settings. For SigV4, credentials come from
    /// the AWS default chain (environment, profile, web identity, container
    /// or instance role), and the region from the settings or the chain.
    pub(super) async fn connect(config: &OpensearchSinkConfig) -> Result<Self, String> {
        let url = Url::parse(&config.endpoint)
            .map_err(|e| format!("endpoint `{}`: {e}", config.endpoint))?;
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(Duration::from_millis(config.timeout_ms))
            .disable_proxy();
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
                    .ok_or("no AWS credentials provider: set AWS credentials the usual way (environment, profile or role)")?;
                let region = sdk
                    .region()
                    .cloned()
                    .ok_or("no AWS region: set `aws_region` on the sink, or AWS_REGION")?;
                builder = builder
                    .auth(Credentials::AwsSigV4(credentials, region))
                    .service_name(&config.aws_service);
            }
        }
        let transport = builder.build().map_err(|e| e.to_string())?;
        let limiter = |rate: Option<u32>, burst: usize| {
            rate.and_then(NonZeroU32::new).map(|rate| {
                let burst =
                    NonZeroU32::new(u32::try_from(burst).unwrap_or(u32::MAX).max(rate.get()))
                        .unwrap_or(rate);
                RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
            })
        };
        Ok(Client {
            transport,
            gzip: config.gzip,
            requests: limiter(config.requests_per_second, 1),
            documents: limiter(config.documents_per_second, config.max_documents),
        })
    }

    /// Sends one bulk request of `documents` operations, after waiting for
    /// the rate limits.
    pub(super) async fn bulk(&self, body: Vec<u8>, documents: usize) -> Answer {
        if let Some(limiter) = &self.requests {
            limiter.until_ready().await;
        }
        if let (Some(limiter), Some(n)) = (&self.documents, NonZeroU32::new(documents as u32)) {
            // The burst holds a whole request, so this always ends.
            let _ = limiter.until_n_ready(n).await;
        }
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
            encoder.write_all(&body).map_err(|e| e.to_string())?;
            encoder.finish().map_err(|e| e.to_string())?
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
            .map_err(|e| format!("bulk request failed: {e}"))?;
        let status = response.status_code().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("bulk response cut short: {e}"))?;
        Ok((status, bytes.to_vec()))
    }
}
