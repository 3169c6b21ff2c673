//! `type = "opensearch"`: bulk indexing into OpenSearch Serverless (or a
//! managed domain, or any OpenSearch), signed, batched and retried.
//!
//! Each record becomes one bulk operation ([`encoder`]); operations go out
//! in requests of bounded count and size ([`bulk`]), several at once,
//! through the layers every network sink uses (concurrency, retry, rate
//! limits, timeout: [`crate::sinks::layers`]) around a service that sends one
//! request ([`service`]). Each item's result decides its fate ([`retry`]):
//! stored, refused for now (429, 402, 5xx: sent again with backoff), or
//! refused for good (reported, so the pipeline dead-letters it or reports it
//! failed). Every item maps back to its record, so the handler reports
//! exactly the right records to Lambda.
//!
//! - `config.rs`: what the user writes and its checks; the sink and the
//!   encoder it builds are made in `sink.rs` and `encoder.rs`.
//! - `sink.rs`: the [`Sink`](tributary_core::Sink): rounds of changes per
//!   document, requests handed to the layers.
//! - `encoder.rs`: records into bulk operations; `index_name.rs`: index
//!   names from templates.
//! - `bulk.rs`: operations into rounds and requests.
//! - `service.rs`: sends one bulk request, knows nothing of retries;
//!   `error.rs`: what goes wrong, from the settings to one request.
//! - `response.rs`: reads a bulk response; `retry.rs`: what is sent again.

mod bulk;
mod config;
mod encoder;
mod error;
mod index_name;
mod response;
mod retry;
mod service;
mod sink;

pub use config::{Action, Auth, CollectionType, OpensearchSinkConfig, Versioning};
pub use encoder::BulkEncoder;
pub use error::OpensearchError;
pub use sink::OpensearchSink;
