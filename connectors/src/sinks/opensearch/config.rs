//! What the user writes for an OpenSearch sink: [`OpensearchSinkConfig`],
//! its checks at their place in the file, and what it builds.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_config::{Diagnostic, Options};

use super::error::OpensearchError;
use super::index_name::IndexTemplate;
use crate::sinks::layers::RequestConfig;
use crate::sinks::request_settings::network_sink_config;

network_sink_config! {
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
        /// `change_time` sends each index and delete with an external
        /// version made from the change's time and sequence number
        /// (`version_type = "external_gte"`), so a change older than the
        /// stored document is refused by OpenSearch and counted as delivered:
        /// the index never goes back in time, in any order of arrival.
        /// Needs document ids (a search collection) and a DynamoDB Streams or
        /// Kinesis source, without `aggregate`. Default `none`: no version.
        #[serde(default)]
        pub version: Versioning,
        /// The most operations a bulk request holds. Default 1000.
        #[serde(default = "default_max_documents")]
        pub max_documents: usize,
        /// The most bytes a bulk request holds (before gzip). Default 5 MiB.
        #[serde(default = "default_max_bytes")]
        pub max_bytes: usize,
        /// Gzip request bodies. Default false.
        #[serde(default)]
        pub gzip: bool,
        ..request_settings {
            max_in_flight {
                /// How many bulk requests may be in flight at once. Default 4.
            }
            requests_per_second {
                /// At most this many bulk requests a second, per Lambda instance.
                /// Default: no limit.
            }
        }
        /// At most this many documents a second, per Lambda instance. Default:
        /// no limit.
        #[serde(default)]
        pub documents_per_second: Option<u32>,
    }
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

/// Whether operations carry external versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Versioning {
    /// No version: each write replaces what is stored.
    #[default]
    None,
    /// The change's version, from its time and sequence number: older
    /// writes are refused.
    ChangeTime,
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

impl OpensearchSinkConfig {
    /// Checks the settings, and the collection type's rules, at their place
    /// in the file.
    pub fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if let Err(error) = url_of(&self.endpoint) {
            return Err(options
                .error_at("endpoint", error.to_string())
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
        if self.version == Versioning::ChangeTime {
            self.check_versions(options, &id)?;
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
        ] {
            if value == 0 {
                return Err(options.error_at(key, format!("`{key}` must be at least 1")));
            }
        }
        self.request_settings().check(options)
    }

    /// Versions replace a document by id, with `index` or `delete`.
    fn check_versions(&self, options: &Options, id: &IdSource) -> Result<(), Diagnostic> {
        if self.collection_type != CollectionType::Search {
            return Err(options
                .error_at(
                    "version",
                    "versions need document ids, and time series and vector search collections assign their own",
                )
                .hint("use a search collection (collection_type = \"search\"), or remove `version`"));
        }
        if *id == IdSource::None {
            return Err(options
                .error_at(
                    "version",
                    "versions need document ids, and `document_id = \"none\"` gives none",
                )
                .hint("use document_id = \"derived\" or \"field:PATH\", or remove `version`"));
        }
        if self.action == Action::Create {
            return Err(options
                .error_at(
                    "version",
                    "`action = \"create\"` takes no version: it never replaces a document",
                )
                .hint("use action = \"index\" with `version`"));
        }
        Ok(())
    }

    pub(super) fn id_source(&self) -> Result<IdSource, String> {
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

    /// How the sink's requests are sent: attempts, backoff, timeout, limits.
    pub(super) fn request_config(&self) -> RequestConfig {
        self.request_settings()
            .request_config(self.documents_per_second, self.max_documents)
    }
}

fn url_of(endpoint: &str) -> Result<(), OpensearchError> {
    let url = opensearch::http::Url::parse(endpoint).map_err(|e| OpensearchError::NotAUrl {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(OpensearchError::Scheme {
            scheme: other.to_owned(),
        }),
    }
}
