//! `type = "eventbridge"`: events from an EventBridge bus.

use schemars::JsonSchema;
use serde::Deserialize;

/// Events from an EventBridge bus, delivered by a rule one event an
/// invocation. The whole event is the payload.
///
/// ```toml
/// [source]
/// type = "eventbridge"
/// event_bus = "orders"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventbridgeSourceConfig {
    /// The event bus's name or ARN. Default `default`.
    #[serde(default = "default_event_bus")]
    pub event_bus: String,
}

fn default_event_bus() -> String {
    "default".to_owned()
}
