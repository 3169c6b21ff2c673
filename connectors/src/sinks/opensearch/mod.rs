//! `type = "opensearch"`: bulk indexing into OpenSearch Serverless (or a
//! managed domain, or any OpenSearch), signed, batched and retried.
//!
//! Each record becomes one bulk operation ([`bulk`]); operations go out in
//! requests of bounded count and size, several at once; each item's result
//! ([`response`]) decides its fate: stored, refused for now (429, 402, 5xx:
//! sent again with backoff, [`retry`]), or refused for good (reported, so the
//! pipeline dead-letters it or reports it failed). Every item maps back to
//! its record, so the handler reports exactly the right records to Lambda.

mod bulk;
mod client;
mod index_name;
mod response;
mod retry;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::sync::OnceCell;
use tributary_config::{Diagnostic, Options};
use tributary_core::{BoxFuture, Delivery, DeliveryFailure, Record, SharedError, Sink, SinkError};

use bulk::{Operation, PayloadFields, Plan};
use client::Client;
use index_name::IndexTemplate;
use response::{ItemOutcome, is_retryable};
use retry::Backoff;

/// Indexes records into OpenSearch Serverless, a managed OpenSearch domain,
/// or any OpenSearch.
///
/// ```toml
/// [sinks.search]
/// type = "opensearch"
/// endpoint = "https://abc123.eu-west-1.aoss.amazonaws.com"
/// collection_type = "timeseries"
/// index = "clicks-%Y.%m.%d"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpensearchSinkConfig {
    /// The collection's or domain's endpoint URL. No default.
    pub endpoint: String,
    /// `aws-sigv4` (the default; credentials from the AWS default chain),
    /// `basic` (with `username` and `password`) or `none`.
    #[serde(default)]
    pub auth: Auth,
    /// The SigV4 service: `aoss` (the default, Serverless) or `es` (managed
    /// domains).
    #[serde(default = "default_service")]
    pub aws_service: String,
    /// The SigV4 region. Default: the AWS default chain's (`AWS_REGION`).
    #[serde(default)]
    pub aws_region: Option<String>,
    /// For `auth = "basic"`.
    #[serde(default)]
    pub username: Option<String>,
    /// For `auth = "basic"`; write `${VAR}` to take it from the environment.
    #[serde(default)]
    pub password: Option<String>,
    /// `search` (the default), `timeseries` or `vectorsearch`: the
    /// Serverless collection type, whose rules are checked when the pipeline
    /// is validated (time series and vector search take no custom ids).
    #[serde(default)]
    pub collection_type: CollectionType,
    /// The Serverless collection's name. Only `tributary package` uses it:
    /// to write the collection's data access policy for the function's
    /// role. Default: none (no policy is written).
    #[serde(default)]
    pub collection: Option<String>,
    /// The index: a name, with `{field}` for payload fields and strftime
    /// (`%Y.%m.%d`) for the event time. No default.
    pub index: String,
    /// The payload field with the event time for the index name (RFC 3339
    /// or epoch milliseconds). Default: the record's arrival time.
    #[serde(default)]
    pub time_field: Option<String>,
    /// Document ids: `derived` (the record's own: a DynamoDB item's keys, an
    /// aggregate's window and group; the default on search collections),
    /// `none` (the default on time series and vector search), or
    /// `field:PATH` (a payload field).
    #[serde(default)]
    pub document_id: Option<String>,
    /// `index` (the default), `create` (a 409 then counts as delivered) or
    /// `delete`. A DynamoDB REMOVE always deletes on a search collection.
    #[serde(default)]
    pub action: Action,
    /// The most operations a bulk request holds. Default 1000.
    #[serde(default = "default_max_documents")]
    pub max_documents: usize,
    /// The most bytes a bulk request holds (before gzip). Default 5 MiB.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// Gzip request bodies. Default false.
    #[serde(default)]
    pub gzip: bool,
    /// How many bulk requests may be in flight at once. Default 4.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// How many times an item is sent at most. Default 6.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The first backoff ceiling, in ms; it doubles each attempt (full
    /// jitter). Default 100.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// The largest backoff ceiling, in ms. Default 5000.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// How long one request may take, in ms. Default 30000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// At most this many bulk requests a second, per Lambda instance.
    /// Default: no limit.
    #[serde(default)]
    pub requests_per_second: Option<u32>,
    /// At most this many documents a second, per Lambda instance. Default:
    /// no limit.
    #[serde(default)]
    pub documents_per_second: Option<u32>,
}

/// How the sink authenticates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// AWS Signature Version 4.
    #[default]
    AwsSigv4,
    /// HTTP basic authentication.
    Basic,
    /// None.
    None,
}

/// The OpenSearch Serverless collection type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CollectionType {
    /// Search: any ids, updates and deletes.
    #[default]
    Search,
    /// Time series: OpenSearch assigns ids; no updates, no deletes.
    Timeseries,
    /// Vector search: OpenSearch assigns ids.
    Vectorsearch,
}

/// The bulk action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Index (create or replace).
    #[default]
    Index,
    /// Create; an existing id is a conflict, counted as delivered.
    Create,
    /// Delete by id.
    Delete,
}

/// Where document ids come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IdSource {
    Derived,
    None,
    Field(String),
}

fn default_service() -> String {
    "aoss".to_owned()
}
fn default_max_documents() -> usize {
    1000
}
fn default_max_bytes() -> usize {
    5 * 1024 * 1024
}
fn default_max_in_flight() -> usize {
    4
}
fn default_max_attempts() -> u32 {
    6
}
fn default_initial_backoff_ms() -> u64 {
    100
}
fn default_max_backoff_ms() -> u64 {
    5000
}
fn default_timeout_ms() -> u64 {
    30_000
}

impl OpensearchSinkConfig {
    /// Checks the settings, and the collection type's rules, at their place
    /// in the file.
    pub fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if let Err(error) = url_of(&self.endpoint) {
            return Err(options
                .error_at("endpoint", error)
                .hint("such as https://abc123.eu-west-1.aoss.amazonaws.com"));
        }
        if let Err(error) = IndexTemplate::parse(&self.index, self.time_field.clone()) {
            return Err(options.error_at("index", error));
        }
        let id = self.id_source().map_err(|error| {
            options
                .error_at("document_id", error)
                .hint("write `derived`, `none` or `field:PATH`")
        })?;
        let assigns_ids = self.collection_type != CollectionType::Search;
        if assigns_ids && id != IdSource::None {
            let explicit = self.document_id.is_some();
            if explicit {
                return Err(options
                    .error_at(
                        "document_id",
                        "time series and vector search collections assign their own document ids",
                    )
                    .hint("remove `document_id`, or use a search collection to write by id"));
            }
        }
        if assigns_ids && self.action == Action::Delete {
            return Err(options
                .error_at(
                    "action",
                    "time series and vector search collections do not delete by id",
                )
                .hint("use a search collection for an index that mirrors its source"));
        }
        if self.auth == Auth::Basic && (self.username.is_none() || self.password.is_none()) {
            return Err(
                options.error_at("auth", "`auth = \"basic\"` needs `username` and `password`")
            );
        }
        if !matches!(self.aws_service.as_str(), "aoss" | "es") {
            return Err(options.error_at(
                "aws_service",
                "`aws_service` is `aoss` (Serverless) or `es` (managed domains)",
            ));
        }
        for (key, value) in [
            ("max_documents", self.max_documents),
            ("max_bytes", self.max_bytes),
            ("max_in_flight", self.max_in_flight),
        ] {
            if value == 0 {
                return Err(options.error_at(key, format!("`{key}` must be at least 1")));
            }
        }
        if self.max_attempts == 0 {
            return Err(options.error_at("max_attempts", "`max_attempts` must be at least 1"));
        }
        Ok(())
    }

    fn id_source(&self) -> Result<IdSource, String> {
        match self.document_id.as_deref() {
            None if self.collection_type == CollectionType::Search => Ok(IdSource::Derived),
            None => Ok(IdSource::None),
            Some("derived") => Ok(IdSource::Derived),
            Some("none") => Ok(IdSource::None),
            Some(other) => match other.strip_prefix("field:") {
                Some(path) if !path.is_empty() && !path.split('.').any(str::is_empty) => {
                    Ok(IdSource::Field(path.to_owned()))
                }
                _ => Err(format!("`{other}` is not an id source")),
            },
        }
    }

    /// The sink; it connects on first use.
    pub fn build(&self) -> Result<OpensearchSink, String> {
        Ok(OpensearchSink {
            encoder: self.encoder()?,
            config: self.clone(),
            client: Arc::new(OnceCell::new()),
        })
    }

    /// What turns records into bulk operations, as the sink does.
    pub fn encoder(&self) -> Result<BulkEncoder, String> {
        let index = IndexTemplate::parse(&self.index, self.time_field.clone())?;
        let id = self.id_source()?;
        Ok(BulkEncoder {
            fields: PayloadFields::new(&index, &id),
            index,
            id,
            action: self.action,
            collection: self.collection_type,
        })
    }
}

fn url_of(endpoint: &str) -> Result<(), String> {
    let url = opensearch::http::Url::parse(endpoint)
        .map_err(|e| format!("`{endpoint}` is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(format!("`{other}` URLs are not supported; use https")),
    }
}

/// Turns records into the bulk request body the sink sends (without
/// sending it): for benchmarks, and to see what would be sent.
pub struct BulkEncoder {
    index: IndexTemplate,
    id: IdSource,
    action: Action,
    collection: CollectionType,
    fields: PayloadFields,
}

impl BulkEncoder {
    fn plan(&mut self) -> Plan<'_> {
        Plan {
            index: &self.index,
            id: &self.id,
            action: self.action,
            collection: self.collection,
            fields: &mut self.fields,
        }
    }

    /// The body of one bulk request for `records`, and the records that
    /// cannot be sent (no index name, no id for a delete), by index.
    pub fn encode(&mut self, records: &mut [Record]) -> (Vec<u8>, Vec<usize>) {
        let (operations, failures) = self.plan().operations(records);
        let positions: Vec<usize> = (0..operations.len()).collect();
        (
            bulk::body(&operations, &positions),
            failures.iter().map(|f| f.index).collect(),
        )
    }
}

/// The OpenSearch sink.
pub struct OpensearchSink {
    config: OpensearchSinkConfig,
    encoder: BulkEncoder,
    client: Arc<OnceCell<Client>>,
}

impl Sink for OpensearchSink {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let (operations, mut failures) = self.encoder.plan().operations(records);
            if operations.is_empty() {
                return Delivery { failures };
            }
            let ids_by_record: HashMap<usize, &str> = operations
                .iter()
                .filter_map(|op| Some((op.record, op.id.as_deref()?)))
                .collect();
            let client = match self
                .client
                .get_or_try_init(|| Client::connect(&self.config))
                .await
            {
                Ok(client) => client,
                Err(error) => {
                    tracing::warn!(%error, "cannot connect to OpenSearch");
                    let error: SharedError = Arc::from(tributary_core::BoxError::from(error));
                    failures.extend(operations.iter().map(|op| DeliveryFailure {
                        index: op.record,
                        error: SinkError::Connect(error.clone()),
                    }));
                    return Delivery { failures };
                }
            };
            let sender = Sender {
                client,
                operations: &operations,
                deadline,
                config: &self.config,
            };
            // Documents with a change that failed for now: their later
            // changes are not sent, but fail with it and are retried after it.
            let mut behind: HashSet<&str> = HashSet::new();
            // Numbers each request, for its own backoff jitter.
            let mut requests_sent = 0;
            for round in bulk::rounds(&operations) {
                let (waiting, ready): (Vec<usize>, Vec<usize>) =
                    round.into_iter().partition(|position| {
                        operations[*position]
                            .id
                            .as_deref()
                            .is_some_and(|id| behind.contains(id))
                    });
                failures.extend(waiting.iter().map(|position| DeliveryFailure {
                    index: operations[*position].record,
                    error: SinkError::EarlierChangeFailed,
                }));
                let requests = bulk::requests(
                    &operations,
                    &ready,
                    self.config.max_documents,
                    self.config.max_bytes,
                );
                let first = requests_sent;
                requests_sent += requests.len() as u64;
                let results: Vec<Vec<DeliveryFailure>> =
                    futures_util::stream::iter(requests.into_iter().enumerate())
                        .map(|(n, positions)| sender.send(first + n as u64, positions))
                        .buffer_unordered(self.config.max_in_flight)
                        .collect()
                        .await;
                for failure in results.into_iter().flatten() {
                    if failure.transient()
                        && let Some(id) = ids_by_record.get(&failure.index)
                    {
                        behind.insert(id);
                    }
                    failures.push(failure);
                }
            }
            Delivery { failures }
        })
    }
}

/// Sends requests of one delivery.
struct Sender<'a> {
    client: &'a Client,
    operations: &'a [Operation],
    deadline: Option<Instant>,
    config: &'a OpensearchSinkConfig,
}

impl Sender<'_> {
    /// Sends one request's operations until each is stored, refused for
    /// good, or out of attempts or time; gives the ones not stored.
    async fn send(&self, n: u64, mut pending: Vec<usize>) -> Vec<DeliveryFailure> {
        let seed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ std::process::id() as u64 ^ clock_seed();
        let mut backoff = Backoff::new(
            self.config.max_attempts,
            Duration::from_millis(self.config.initial_backoff_ms),
            Duration::from_millis(self.config.max_backoff_ms),
            seed,
        );
        let mut failures = Vec::new();
        let mut attempt = 1;
        loop {
            let body = bulk::body(self.operations, &pending);
            let actions: Vec<Action> = pending.iter().map(|p| self.operations[*p].action).collect();
            let answer = self.client.bulk(body, pending.len()).await;
            let (retry, last) = self.sort(answer, &pending, &actions, &mut failures);
            pending = retry;
            if pending.is_empty() {
                return failures;
            }
            match backoff.next_wait(attempt, self.deadline) {
                Some(wait) => {
                    tracing::debug!(attempt, items = pending.len(), ?wait, reason = %last, "retrying bulk items");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => {
                    let why = SinkError::GaveUp {
                        last: Box::new(last),
                        attempts: attempt,
                    };
                    failures.extend(pending.iter().map(|p| DeliveryFailure {
                        index: self.operations[*p].record,
                        error: why.clone(),
                    }));
                    return failures;
                }
            }
        }
    }

    /// Sorts one answer: records the operations refused for good in
    /// `failures`, and gives the ones to send again with the reason.
    fn sort(
        &self,
        answer: client::Answer,
        pending: &[usize],
        actions: &[Action],
        failures: &mut Vec<DeliveryFailure>,
    ) -> (Vec<usize>, SinkError) {
        let no_answer =
            |reason: String| SinkError::NoAnswer(Arc::from(tributary_core::BoxError::from(reason)));
        let (status, body) = match answer {
            Err(reason) => return (pending.to_vec(), no_answer(reason)),
            Ok(answer) => answer,
        };
        if status != 200 {
            let reason = format!(
                "OpenSearch answered {status} to the bulk request: {}",
                snippet(&body)
            );
            if is_retryable(status) {
                return (pending.to_vec(), SinkError::RefusedForNow(reason));
            }
            failures.extend(pending.iter().map(|p| DeliveryFailure {
                index: self.operations[*p].record,
                error: SinkError::Rejected(reason.clone()),
            }));
            return (Vec::new(), SinkError::Rejected(reason));
        }
        let Some(outcomes) = response::outcomes(&body, actions) else {
            return (
                pending.to_vec(),
                no_answer(format!(
                    "the bulk response did not answer each item: {}",
                    snippet(&body)
                )),
            );
        };
        let mut retry = Vec::new();
        let mut last_reason = SinkError::RefusedForNow(String::new());
        for (position, outcome) in pending.iter().zip(outcomes) {
            match outcome {
                ItemOutcome::Done => {}
                ItemOutcome::Retry(reason) => {
                    retry.push(*position);
                    last_reason = SinkError::RefusedForNow(reason);
                }
                ItemOutcome::Rejected(reason) => failures.push(DeliveryFailure {
                    index: self.operations[*position].record,
                    error: SinkError::Rejected(reason),
                }),
            }
        }
        (retry, last_reason)
    }
}

/// The start of a response body, for error messages (never a whole payload).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.replace('\n', " ")
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
