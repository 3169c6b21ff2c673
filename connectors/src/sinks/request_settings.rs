//! The request settings every network sink takes: how many requests in
//! flight, how many attempts, the backoff between them, each attempt's
//! timeout and the requests-a-second limit. The [`layers`](super::layers)
//! read them, as a [`RequestConfig`].
//!
//! They are declared once, in [`network_sink_config!`], which pastes them
//! into each network sink's config struct (the OpenSearch and S3 sinks'):
//! serde's `flatten` cannot be combined with `deny_unknown_fields`, and
//! every `[sinks.NAME]` table refuses unknown keys. Their defaults and
//! their checks are here too.

use std::time::Duration;

use tributary_config::{Diagnostic, Options};

use super::layers::RequestConfig;

/// Declares a network sink's config struct with the request settings in
/// it, and its `request_settings()`.
///
/// The struct's own fields come first, then the settings, then its own
/// fields after `..request_settings`, so that the fields keep their order
/// in the JSON Schema and the docs. The two settings whose docs name what
/// the sink sends (bulk requests, objects) take their docs from the sink.
///
/// ```text
/// network_sink_config! {
///     /// The struct's doc.
///     #[derive(Debug, Clone, Deserialize, JsonSchema)]
///     #[serde(deny_unknown_fields)]
///     pub struct ExampleSinkConfig {
///         /// A field before the settings.
///         pub endpoint: String,
///         ..request_settings {
///             max_in_flight { /// Its doc. }
///             requests_per_second { /// Its doc. }
///         }
///         /// A field after the settings.
///         #[serde(default)]
///         pub items_per_second: Option<u32>,
///     }
/// }
/// ```
macro_rules! network_sink_config {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $( $(#[$first_attr:meta])* pub $first:ident: $first_ty:ty, )*
            ..request_settings {
                max_in_flight { $(#[$in_flight_doc:meta])* }
                requests_per_second { $(#[$requests_doc:meta])* }
            }
            $( $(#[$last_attr:meta])* pub $last:ident: $last_ty:ty, )*
        }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $( $(#[$first_attr])* pub $first: $first_ty, )*
            $(#[$in_flight_doc])*
            #[serde(default = "crate::sinks::request_settings::default_max_in_flight")]
            pub max_in_flight: usize,
            /// How many times an item is sent at most. Default 6.
            #[serde(default = "crate::sinks::request_settings::default_max_attempts")]
            pub max_attempts: u32,
            /// The first backoff ceiling, in ms; it doubles each attempt (full
            /// jitter). Default 100.
            #[serde(default = "crate::sinks::request_settings::default_initial_backoff_ms")]
            pub initial_backoff_ms: u64,
            /// The largest backoff ceiling, in ms. Default 5000.
            #[serde(default = "crate::sinks::request_settings::default_max_backoff_ms")]
            pub max_backoff_ms: u64,
            /// How long one request may take, in ms. Default 30000.
            #[serde(default = "crate::sinks::request_settings::default_timeout_ms")]
            pub timeout_ms: u64,
            $(#[$requests_doc])*
            #[serde(default)]
            pub requests_per_second: Option<u32>,
            $( $(#[$last_attr])* pub $last: $last_ty, )*
        }

        impl $name {
            /// The request settings, as every network sink has them.
            pub(crate) fn request_settings(&self) -> crate::sinks::request_settings::RequestSettings {
                crate::sinks::request_settings::RequestSettings {
                    max_in_flight: self.max_in_flight,
                    max_attempts: self.max_attempts,
                    initial_backoff_ms: self.initial_backoff_ms,
                    max_backoff_ms: self.max_backoff_ms,
                    timeout_ms: self.timeout_ms,
                    requests_per_second: self.requests_per_second,
                }
            }
        }
    };
}
pub(crate) use network_sink_config;

/// The request settings of a network sink, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestSettings {
    pub(crate) max_in_flight: usize,
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff_ms: u64,
    pub(crate) max_backoff_ms: u64,
    pub(crate) timeout_ms: u64,
    pub(crate) requests_per_second: Option<u32>,
}

impl RequestSettings {
    /// Checks the settings, pointing at the key at fault.
    pub(crate) fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if self.max_in_flight == 0 {
            return Err(options.error_at("max_in_flight", "`max_in_flight` must be at least 1"));
        }
        if self.max_attempts == 0 {
            return Err(options.error_at("max_attempts", "`max_attempts` must be at least 1"));
        }
        Ok(())
    }

    /// What the layers read: these settings, with the sink's own
    /// items-a-second limit and the most items one of its requests holds.
    pub(crate) fn request_config(
        &self,
        items_per_second: Option<u32>,
        max_items_per_request: usize,
    ) -> RequestConfig {
        RequestConfig {
            max_attempts: self.max_attempts,
            initial_backoff: Duration::from_millis(self.initial_backoff_ms),
            max_backoff: Duration::from_millis(self.max_backoff_ms),
            timeout: Duration::from_millis(self.timeout_ms),
            requests_per_second: self.requests_per_second,
            items_per_second,
            max_items_per_request,
            max_in_flight: self.max_in_flight,
        }
    }
}

pub(crate) fn default_max_in_flight() -> usize {
    4
}
pub(crate) fn default_max_attempts() -> u32 {
    6
}
pub(crate) fn default_initial_backoff_ms() -> u64 {
    100
}
pub(crate) fn default_max_backoff_ms() -> u64 {
    5000
}
pub(crate) fn default_timeout_ms() -> u64 {
    30_000
}
